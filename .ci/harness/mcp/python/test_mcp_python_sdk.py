"""The official MCP Python SDK (PyPI `mcp`) against the proxy's /mcp: its own client-credentials
OAuth provider discovers the authorization server from the 401 (RFC 9728 → RFC 8414), gets a
token bound to /mcp (RFC 8707), and calls two tools on the data the runner indexed in the real
OpenSearch. Run through .ci/harness/mcp.sh, which sets the MCP_E2E_* variables."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from mcp import Client
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken


def env(name: str) -> str:
    value = os.environ.get(f"MCP_E2E_{name}")
    if not value:
        pytest.fail(f"MCP_E2E_{name} is not set: run the tests through .ci/harness/mcp.sh")
    return value


BASE = env("URL")
MCP = f"{BASE}/mcp"


class MemoryStorage:
    """The SDK's TokenStorage protocol, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def claims(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def hits_of(result) -> list[dict]:
    sc = result.structured_content
    assert sc, result
    hits = sc["hits"] if isinstance(sc.get("hits"), list) else sc["hits"]["hits"]
    return [h.get("_source", h.get("source", h)) for h in hits]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def scopes_supported() -> list[str]:
    return httpx2.get(f"{BASE}/.well-known/oauth-protected-resource/mcp").json()["scopes_supported"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("client_id", "mode"),
    [
        # Allowed every scope of the metadata's scopes_supported, which is what the SDK asks for.
        # A machine client allowed less is refused (`invalid_scope`) rather than silently
        # narrowed at the token endpoint: see test_a_client_allowed_less_than_scopes_supported_is_refused.
        ("mcp-ops", "auto"),
        ("mcp-ops", "legacy"),
    ],
)
async def test_client_credentials_discovery_and_two_tools(client_id: str, mode: str) -> None:
    storage = MemoryStorage()
    # The SDK replaces this `scope` with the metadata's scopes_supported (the MCP scope selection
    # strategy), so the token request asks for all of those whatever is configured here.
    provider = ClientCredentialsOAuthProvider(
        server_url=MCP,
        storage=storage,
        client_id=client_id,
        client_secret=env("CLIENT_SECRET"),
        scope="read:mcp-logs-*",
        issuer=BASE,
    )
    walk: list[str] = []
    token_forms: list[dict[str, list[str]]] = []

    async def record(response: httpx2.Response) -> None:
        request = response.request
        walk.append(f"{request.method} {urlsplit(str(request.url)).path} {response.status_code}")
        if request.url.path == "/oauth/token":
            token_forms.append(parse_qs(request.content.decode()))

    async with httpx2.AsyncClient(auth=provider, event_hooks={"response": [record]}) as http:
        async with Client(streamable_http_client(MCP, http_client=http), mode=mode) as client:
            # The discovery chain the SDK walked.
            assert walk[0] == "POST /mcp 401", walk
            assert "GET /.well-known/oauth-protected-resource/mcp 200" in walk, walk
            assert "GET /.well-known/oauth-authorization-server 200" in walk, walk
            assert "POST /oauth/token 200" in walk, walk
            after = walk[walk.index("POST /oauth/token 200") + 1 :]
            # Then /mcp with the token: never a 401 again (in "auto" mode the SDK first probes the
            # 2026-07-28 `server/discover`, answered 400 unsupported version, then initializes).
            assert after and all(w.startswith("POST /mcp ") and not w.endswith((" 401", " 403")) for w in after), walk
            assert "POST /mcp 200" in after, walk
            assert not any(w.split()[-1].startswith("5") for w in walk), walk
            (form,) = token_forms
            assert form["grant_type"] == ["client_credentials"]
            assert form["resource"] == [MCP], form
            assert form["scope"] == [" ".join(scopes_supported())], form
            token = storage.tokens.access_token
            assert claims(token)["aud"] == MCP
            granted = set(claims(token)["scope"].split())
            assert granted == set(scopes_supported())

            tools = await client.list_tools()
            assert {t.name for t in tools.tools} >= {"search", "count", "explain_access"}

            found = await client.call_tool(
                "search",
                {"index": "mcp-logs-*", "query": {"term": {"level": "error"}}, "sort": [{"bytes": "asc"}]},
            )
            assert not found.is_error, found
            assert [h["message"] for h in hits_of(found)] == ["disk full", "timeout calling db", "502 from upstream"]

            counted = await client.call_tool("count", {"index": "mcp-logs-web"})
            assert not counted.is_error, counted
            assert counted.structured_content["count"] == 2


def test_a_client_allowed_less_than_scopes_supported_is_refused() -> None:
    """What the SDK's client-credentials provider asks for (every scope of scopes_supported) is
    refused for a machine client allowed less: never silently narrowed, so the client learns at
    once that it asked beyond its grant."""
    wanted = scopes_supported()
    assert wanted != ["read:mcp-logs-*"], wanted
    resp = httpx2.post(
        f"{BASE}/oauth/token",
        auth=("mcp-reader", env("CLIENT_SECRET")),
        data={"grant_type": "client_credentials", "scope": " ".join(wanted), "resource": MCP},
    )
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error"] == "invalid_scope", body
    assert body["reason"] == "scope_not_allowed", body


@pytest.mark.anyio
async def test_a_front_token_is_refused_and_the_sdk_cannot_be_talked_into_another_resource() -> None:
    """A bearer token for the OpenSearch front, passed as a plain header: /mcp answers 401."""
    async with httpx2.AsyncClient() as http:
        resp = await http.post(
            f"{BASE}/oauth/token",
            auth=("mcp-reader", env("CLIENT_SECRET")),
            data={"grant_type": "client_credentials", "scope": "read:mcp-logs-*"},
        )
        assert resp.status_code == 200, resp.text
        front = resp.json()["access_token"]
        assert claims(front)["aud"] == BASE
        answer = await http.post(
            MCP,
            headers={"authorization": f"Bearer {front}", "accept": "application/json, text/event-stream"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )
        assert answer.status_code == 401, answer.text
        challenge = answer.headers["www-authenticate"]
        assert 'error="invalid_token"' in challenge, challenge
        assert f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp"' in challenge, challenge
        assert answer.json()["error"], answer.text


async def follow_login(url: str, redirect_uri: str, user: str) -> dict[str, str]:
    """A user's browser, headless: the proxy's /oauth/authorize, the tenant's real OpenID provider
    (login and consent forms), the proxy's consent page, until the redirect to `redirect_uri`."""
    jar: dict[str, str] = {}
    steps: list[str] = []

    async def send(http: httpx2.AsyncClient, method: str, target: str, form: dict[str, str] | None = None):
        headers = {"cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        resp = await http.request(method, target, data=form, headers=headers)
        for c in resp.headers.get_list("set-cookie"):
            name, _, value = c.split(";", 1)[0].partition("=")
            jar[name.strip()] = value
        steps.append(f"{resp.status_code} {target}")
        return resp

    def attr(html: str, name: str) -> str:
        marker = f'name="{name}" value="'
        start = html.index(marker) + len(marker)
        return html[start : html.index('"', start)].replace("&amp;", "&")

    async with httpx2.AsyncClient(follow_redirects=False) as http:
        resp = await send(http, "GET", url)
        current = url
        for _ in range(16):
            if resp.is_redirect:
                nxt = str(httpx2.URL(current).join(resp.headers["location"]))
                if nxt.startswith(redirect_uri):
                    return {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()}
                current = nxt
                resp = await send(http, "GET", current)
                continue
            assert resp.status_code == 200, f"{current}: {resp.status_code} {resp.text[:300]}"
            html = resp.text
            action_start = html.index('action="') + len('action="')
            target = str(httpx2.URL(current).join(html[action_start : html.index('"', action_start)].replace("&amp;", "&")))
            if 'name="csrf"' in html and 'name="request"' in html:
                form = {"request": attr(html, "request"), "csrf": attr(html, "csrf"), "decision": "approve"}
            elif 'name="login"' in html:
                form = {"prompt": "login", "login": user, "password": "any"}
            else:
                form = {"prompt": "consent"}
            resp = await send(http, "POST", target, form)
            current = target
    raise AssertionError(f"the sign-in did not come back to {redirect_uri}: {steps}")


@pytest.mark.anyio
async def test_dynamic_registration_and_sign_in_with_the_python_sdk() -> None:
    """The SDK's OAuthClientProvider with nothing but the server URL: it registers a public client
    (RFC 7591), sends the user to sign in (authorization code + PKCE), redeems the code, calls."""
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    redirect_uri = "http://127.0.0.1:47123/callback"
    storage = MemoryStorage()
    back: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        back.clear()
        back.update(await follow_login(url, redirect_uri, "erin"))
        back["_url"] = url

    async def callback_handler() -> AuthorizationCodeResult:
        assert "code" in back, back
        return AuthorizationCodeResult(code=back["code"], state=back.get("state"), iss=back.get("iss"))

    provider = OAuthClientProvider(
        server_url=MCP,
        client_metadata=OAuthClientMetadata(
            client_name="oauth4os MCP Python end-to-end test",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider) as http:
        async with Client(streamable_http_client(MCP, http_client=http), mode="legacy") as client:
            info = storage.client_info
            assert info is not None and info.client_id
            assert info.client_secret is None, "a public client gets no secret"
            asked = parse_qs(urlsplit(back["_url"]).query)
            assert asked["client_id"] == [info.client_id]
            assert asked["code_challenge_method"] == ["S256"]
            assert asked["resource"] == [MCP]
            token = storage.tokens.access_token
            assert claims(token)["aud"] == MCP
            # Registered within the ceiling (read:mcp-logs-*), whatever the SDK asked for.
            assert claims(token)["scope"] == "read:mcp-logs-*"
            counted = await client.call_tool("count", {"index": "mcp-logs-app", "query": {"term": {"level": "error"}}})
            assert not counted.is_error, counted
            assert counted.structured_content["count"] == 2
