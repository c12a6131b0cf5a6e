"""The native calls let Python run while they wait: blocking calls release the GIL and
awaitables never block the event loop. Each test serves the token endpoint from Python in the
same process, so a call that held the GIL (or the loop) could never get its answer."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

import oauth4os


class _TokenEndpoint(BaseHTTPRequestHandler):
    forms: ClassVar[list[dict[str, list[str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        type(self).forms.append(form)
        body = json.dumps(
            {"access_token": f"tok-{len(self.forms)}", "token_type": "Bearer", "expires_in": 300}
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    _TokenEndpoint.forms = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


def test_a_blocking_call_releases_the_gil(endpoint: str) -> None:
    client = oauth4os.Client(
        token_url=endpoint,
        client_id="py",
        client_secret="s3cret",
        scope=["read:a", "read:b"],
        auth="post",
    )
    assert client.token().access_token == "tok-1"
    form = _TokenEndpoint.forms[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["read:a read:b"]
    assert form["client_id"] == ["py"]
    assert form["client_secret"] == ["s3cret"]


def test_an_awaitable_does_not_block_the_event_loop() -> None:
    async def main() -> None:
        hits = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal hits
            hits += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            body = b'{"access_token":"loop-tok","token_type":"Bearer","expires_in":300}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = oauth4os.AsyncClient(
            token_url=f"http://127.0.0.1:{port}/token", client_id="py", client_secret="s"
        )
        tokens = await asyncio.gather(*(client.token() for _ in range(10)))
        assert {t.access_token for t in tokens} == {"loop-tok"}
        assert hits == 1
        server.close()
        await server.wait_closed()

    asyncio.run(main())
