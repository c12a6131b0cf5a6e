"""End to end against the real proxy, the real OpenSearch and the real oidc-provider."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.parse
import urllib.request

import pytest

import oauth4os

from conftest import INDEX, SECRET_INDEX, Peers


def agent(peers: Peers, **kw: object) -> oauth4os.Client:
    args: dict[str, object] = {
        "client_id": "py-agent",
        "client_secret": peers.agent_secret,
        "scope": "read:py-logs-*",
        "base_url": peers.proxy,
    }
    args.update(kw)
    return oauth4os.Client(peers.proxy, **args)  # type: ignore[arg-type]


def test_token_and_search(peers: Peers) -> None:
    client = agent(peers)
    token = client.token()
    assert token.token_type.lower() == "bearer"
    assert token.scope == "read:py-logs-*"
    assert token.expires_in and token.expires_in > 60
    assert client.token() == token, "cached"
    result = client.search(INDEX, {"query": {"match": {"level": "error"}}})
    assert result["hits"]["total"]["value"] == 1
    assert result["hits"]["hits"][0]["_source"]["msg"] == "disk full"
    assert client.stats().token_requests == 1


def test_request_returns_a_response_object(peers: Peers) -> None:
    client = agent(peers, scope="read:py-logs-* write:py-logs-*")
    r = client.request("PUT", f"/{INDEX}/_doc/py-new?refresh=true", {"level": "warn"})
    assert r.status in (200, 201)
    assert r.json()["result"] in ("created", "updated")
    assert r.headers["content-type"].startswith("application/json")
    r = client.request("GET", f"/{INDEX}/_doc/py-new")
    assert r.status == 200 and r.json()["_source"] == {"level": "warn"}
    r = client.request("GET", f"/{INDEX}/_doc/nope")
    assert r.status == 404 and r.json()["found"] is False
    bulk = json.dumps({"index": {"_index": INDEX, "_id": "b1"}}) + '\n{"level":"debug"}\n'
    r = client.request("POST", "/_bulk?refresh=true", bulk)
    assert r.status == 200 and r.json()["errors"] is False
    r = client.request("DELETE", f"/{INDEX}/_doc/py-new?refresh=true")
    assert r.status == 200
    r = client.request("DELETE", f"/{INDEX}/_doc/b1?refresh=true")
    assert r.status == 200


def test_tokens_are_renewed_automatically_when_they_expire(peers: Peers) -> None:
    client = agent(peers, client_id="py-short")
    first = client.token()
    assert first.expires_in == 3
    assert client.search(INDEX)["hits"]["total"]["value"] == 2
    time.sleep(3.5)
    assert client.search(INDEX)["hits"]["total"]["value"] == 2
    second = client.token()
    assert second.access_token != first.access_token
    assert client.stats().token_requests == 2
    # The first token really has expired (the proxy itself still allows clock skew).
    strict = oauth4os.Verifier(peers.proxy, audience=peers.proxy, leeway=0)
    with pytest.raises(oauth4os.InvalidTokenError) as e:
        strict.verify(first.access_token)
    assert e.value.reason == "expired"
    assert strict.verify(second.access_token).client_id == "py-short"


def test_a_revoked_token_is_refused(peers: Peers) -> None:
    client = agent(peers)
    token = client.token().access_token
    fixed = oauth4os.Client(access_token=token, base_url=peers.proxy)
    assert fixed.search(INDEX)["hits"]["total"]["value"] == 2
    client.revoke()
    with pytest.raises(oauth4os.InvalidTokenError) as e:
        fixed.search(INDEX)
    # The proxy's own reason reaches the user: the token cannot be renewed, and why.
    assert (e.value.code, e.value.reason) == ("invalid_token", "revoked")
    # The revoking client itself goes on with a new token.
    assert client.token().access_token != token
    assert client.search(INDEX)["hits"]["total"]["value"] == 2
    assert client.stats().token_requests == 2


def test_revoking_a_given_token(peers: Peers) -> None:
    other = agent(peers).token().access_token
    agent(peers).revoke(other)
    with pytest.raises(oauth4os.InvalidTokenError):
        oauth4os.Client(access_token=other, base_url=peers.proxy).search(INDEX)


def _revoke_over_http(peers: Peers, token: str) -> None:
    """RFC 7009 by hand: ``POST /oauth/revoke`` with the client's credentials."""
    body = urllib.parse.urlencode({"token": token, "token_type_hint": "access_token"}).encode()
    req = urllib.request.Request(f"{peers.proxy}/oauth/revoke", data=body, method="POST")
    req.add_header("content-type", "application/x-www-form-urlencoded")
    basic = base64.b64encode(f"py-agent:{peers.agent_secret}".encode()).decode()
    req.add_header("authorization", f"Basic {basic}")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200


def test_a_revoked_token_reaches_the_user_as_reason_revoked(peers: Peers) -> None:
    token = agent(peers).token().access_token
    fixed = oauth4os.Client(access_token=token, base_url=peers.proxy)
    assert fixed.request("GET", f"/{INDEX}/_count").status == 200
    _revoke_over_http(peers, token)
    with pytest.raises(oauth4os.InvalidTokenError) as e:
        fixed.request("GET", f"/{INDEX}/_count")
    assert (e.value.code, e.value.reason) == ("invalid_token", "revoked")
    assert type(e.value) is oauth4os.ERROR_CLASSES["invalid_token"]
    assert "revoked" in oauth4os.ERROR_REASONS
    assert token not in str(e.value) and token not in repr(e.value)
    with pytest.raises(oauth4os.InvalidTokenError) as e:
        fixed.search(INDEX)
    assert e.value.reason == "revoked"


def test_a_request_beyond_the_tokens_scopes_names_the_scope_needed(peers: Peers) -> None:
    client = agent(peers)
    with pytest.raises(oauth4os.InsufficientScopeError) as e:
        client.search(SECRET_INDEX)
    assert (e.value.code, e.value.reason) == ("insufficient_scope", "insufficient_scope")
    assert e.value.scope == f"read:{SECRET_INDEX}"
    with pytest.raises(oauth4os.InsufficientScopeError) as e:
        client.request("PUT", f"/{INDEX}/_doc/x", {"a": 1})
    assert e.value.scope == f"write:{INDEX}"
    # The offline decision agrees with the proxy.
    claims = {"iss": peers.proxy, "aud": [peers.proxy], "exp": 1, "scope": "read:py-logs-*"}
    d = oauth4os.decide(claims, "POST", f"/{SECRET_INDEX}/_search")
    assert not d.allowed and d.error is not None
    assert isinstance(d.error, oauth4os.InsufficientScopeError)
    assert d.error.scope == f"read:{SECRET_INDEX}"


def test_a_wrong_secret_is_invalid_client(peers: Peers) -> None:
    with pytest.raises(oauth4os.InvalidClientError) as e:
        agent(peers, client_secret="wrong").token()
    assert e.value.code == "invalid_client"
    assert "wrong" not in str(e.value)


def test_client_secret_post_works_too(peers: Peers) -> None:
    assert agent(peers, auth="post").token().scope == "read:py-logs-*"


def test_a_scope_beyond_the_clients_is_invalid_scope(peers: Peers) -> None:
    with pytest.raises(oauth4os.InvalidScopeError):
        agent(peers, scope="read:py-logs-* admin:*").token()


def test_a_forbidden_index_is_insufficient_scope(peers: Peers) -> None:
    client = agent(peers)
    with pytest.raises(oauth4os.InsufficientScopeError) as e:
        client.search(SECRET_INDEX)
    assert e.value.code == "insufficient_scope"
    with pytest.raises(oauth4os.InsufficientScopeError):
        client.request("PUT", f"/{INDEX}/_doc/x", {"a": 1})  # read-only token


def test_a_bad_index_name_is_invalid_request(peers: Peers) -> None:
    with pytest.raises(oauth4os.InvalidRequestError) as e:
        agent(peers).search("a/../b")
    assert e.value.reason == "bad_index"


def _idp_token(peers: Peers) -> str:
    """An access token of the external OpenID provider, for the proxy (its tenant)."""
    idp = oauth4os.Client(
        peers.idp,
        client_id="agent-a",
        client_secret="secret-a",
        scope="read:py-logs-*",
        resource=peers.proxy,
    )
    return idp.token().access_token


def test_token_exchange(peers: Peers) -> None:
    subject = _idp_token(peers)
    exchanger = agent(peers, client_id="py-exchanger")
    token = exchanger.exchange(subject, scope="read:py-logs-1")
    assert token.scope == "read:py-logs-1"
    assert token.access_token != subject
    assert exchanger.stats().token_requests == 1
    only_one = oauth4os.Client(access_token=token.access_token, base_url=peers.proxy)
    assert only_one.search(INDEX)["hits"]["total"]["value"] == 2
    # A client without the grant is refused with the OAuth code.
    with pytest.raises(oauth4os.UnauthorizedClientError):
        agent(peers).exchange(subject, scope="read:py-logs-1")


def test_the_verifier_discovers_the_proxys_keys(peers: Peers) -> None:
    token = agent(peers).token().access_token
    verifier = oauth4os.Verifier(peers.proxy, audience=peers.proxy, required_typ="at+jwt")
    claims = verifier.verify(token)
    assert claims.client_id == "py-agent"
    assert claims.iss == peers.proxy
    assert claims.scope == "read:py-logs-*"
    assert claims.exp > time.time()
    assert verifier.verify(token).jti == claims.jti
    with pytest.raises(oauth4os.InvalidTokenError) as e:
        oauth4os.Verifier(peers.proxy, audience="https://elsewhere").verify(token)
    assert e.value.reason == "wrong_audience"
    with pytest.raises(oauth4os.InvalidTokenError):
        verifier.verify(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))


def test_tokens_of_the_external_openid_provider(peers: Peers) -> None:
    # A client of the oidc-provider (discovery through /.well-known/openid-configuration).
    idp = oauth4os.Client(
        peers.idp,
        client_id="agent-a",
        client_secret="secret-a",
        scope="read:py-logs-*",
        resource=peers.proxy,
        base_url=peers.proxy,
    )
    token = idp.token()
    claims = oauth4os.Verifier(peers.idp, audience=peers.proxy, required_typ="at+jwt").verify(
        token.access_token
    )
    assert claims.iss == peers.idp
    assert claims.client_id == "agent-a"
    # The proxy accepts it through its tenant and forwards the search.
    assert idp.search(INDEX)["hits"]["total"]["value"] == 2
    with pytest.raises(oauth4os.InvalidClientError):
        oauth4os.Client(peers.idp, client_id="agent-a", client_secret="nope").token()


def test_the_async_client(peers: Peers) -> None:
    async def main() -> None:
        client = oauth4os.AsyncClient(
            peers.proxy,
            client_id="py-agent",
            client_secret=peers.agent_secret,
            scope="read:py-logs-*",
            base_url=peers.proxy,
        )
        token = await client.token()
        assert token.scope == "read:py-logs-*"
        result = await client.search(INDEX, {"query": {"match": {"level": "error"}}})
        assert result["hits"]["total"]["value"] == 1
        r = await client.request("GET", f"/{INDEX}/_count")
        assert r.status == 200 and r.json()["count"] == 2
        with pytest.raises(oauth4os.InsufficientScopeError):
            await client.search(SECRET_INDEX)
        with pytest.raises(oauth4os.UnauthorizedClientError):
            await client.exchange(token.access_token)
        await client.revoke()
        with pytest.raises(oauth4os.InvalidTokenError):
            await oauth4os.AsyncClient(
                access_token=token.access_token, base_url=peers.proxy
            ).search(INDEX)
        assert (await client.token()).access_token != token.access_token
        assert client.stats().token_requests == 3  # first, the refused exchange, after revoke

    asyncio.run(main())


def test_the_proxy_answers_without_the_sdk_as_documented(peers: Peers) -> None:
    # Sanity check of the harness: no token → 401 with a challenge.
    req = urllib.request.Request(f"{peers.proxy}/{INDEX}/_search")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 401
    assert "Bearer" in e.value.headers["www-authenticate"]
    assert json.loads(e.value.read())["error"] in ("invalid_token", "invalid_request")
