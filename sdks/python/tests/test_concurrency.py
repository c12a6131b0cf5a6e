"""100 concurrent callers share exactly one token request (threads and asyncio tasks)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import oauth4os

from conftest import INDEX, Peers

CALLERS = 100


def test_100_threads_share_one_token_request(peers: Peers) -> None:
    client = oauth4os.Client(
        peers.proxy,
        client_id="py-agent",
        client_secret=peers.agent_secret,
        scope="read:py-logs-*",
        base_url=peers.proxy,
    )
    client.search(INDEX)  # discovery happens once, outside the count
    client.revoke()  # and the cache is empty again
    before = peers.metric("oauth4os_requests_total", route="oauth")
    start = threading.Barrier(CALLERS)

    def call(_: int) -> str:
        start.wait()
        return client.token().access_token

    with ThreadPoolExecutor(CALLERS) as pool:
        tokens = set(pool.map(call, range(CALLERS)))
    after = peers.metric("oauth4os_requests_total", route="oauth")
    assert len(tokens) == 1
    assert client.stats().token_requests == 2  # the first one, then exactly one for 100 callers
    assert after - before == 1, "the proxy saw one token request"


def test_100_asyncio_tasks_share_one_token_request(peers: Peers) -> None:
    async def main() -> None:
        client = oauth4os.AsyncClient(
            peers.idp,
            client_id="agent-b",
            client_secret="secret-b",
            scope="read:py-logs-*",
            resource=peers.proxy,
        )
        before = peers.idp_token_requests()
        tokens = await asyncio.gather(*(client.token() for _ in range(CALLERS)))
        after = peers.idp_token_requests()
        assert len({t.access_token for t in tokens}) == 1
        assert client.stats().token_requests == 1
        assert after - before == 1, "the OpenID provider saw one token request"

    asyncio.run(main())


def test_100_asyncio_tasks_against_the_proxy(peers: Peers) -> None:
    async def main() -> None:
        client = oauth4os.AsyncClient(
            peers.proxy,
            client_id="py-agent",
            client_secret=peers.agent_secret,
            scope="read:py-logs-*",
            base_url=peers.proxy,
        )
        before = peers.metric("oauth4os_requests_total", route="oauth")
        results = await asyncio.gather(*(client.search(INDEX) for _ in range(CALLERS)))
        after = peers.metric("oauth4os_requests_total", route="oauth")
        assert all(r["hits"]["total"]["value"] == 2 for r in results)
        assert client.stats().token_requests == 1
        assert after - before == 1

    asyncio.run(main())
