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
        ("mcp-ops", "auto"),
        ("mcp-ops", "legacy"),
        # Allowed less: the authorization server grants the part it may hold (RFC 6749 §3.3).
        ("mcp-reader", "auto"),
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
            if client_id == "mcp-reader":
                assert granted == {"read:mcp-logs-*"}
            else:
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
