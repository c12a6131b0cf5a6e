"""A token from the SDK works with opensearch-py pointed at the proxy; without it, 401."""

from __future__ import annotations

import pytest
from opensearchpy import AuthenticationException, OpenSearch

import oauth4os

from conftest import INDEX, Peers


def _opensearch(peers: Peers, headers: dict[str, str] | None = None) -> OpenSearch:
    return OpenSearch(hosts=[peers.proxy], headers=headers or {}, timeout=10)


def test_opensearch_py_with_the_sdks_token(peers: Peers) -> None:
    token = oauth4os.Client(
        peers.proxy,
        client_id="py-agent",
        client_secret=peers.agent_secret,
        scope="read:py-logs-*",
    ).token()
    os_client = _opensearch(peers, {"authorization": f"Bearer {token.access_token}"})
    result = os_client.search(index=INDEX, body={"query": {"match": {"level": "error"}}})
    assert result["hits"]["total"]["value"] == 1
    assert os_client.count(index=INDEX)["count"] == 2


def test_opensearch_py_without_a_token_gets_401(peers: Peers) -> None:
    with pytest.raises(AuthenticationException) as e:
        _opensearch(peers).search(index=INDEX, body={"query": {"match_all": {}}})
    assert e.value.status_code == 401
