"""Token clients: ``Client`` (blocking, thread-safe) and ``AsyncClient`` (asyncio)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from oauth4os import _native

Body = Union[bytes, str, Mapping[str, Any], list[Any], None]
"""A request body: bytes or text as is, anything else JSON-encoded."""


@dataclass(frozen=True)
class Token:
    """A token endpoint answer. ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None = None
    scope: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    issued_token_type: str | None = None

    @classmethod
    def _from(cls, raw: dict[str, Any]) -> Token:
        return cls(
            access_token=raw["access_token"],
            token_type=raw["token_type"],
            expires_in=raw.get("expires_in"),
            scope=raw.get("scope"),
            refresh_token=raw.get("refresh_token"),
            issued_token_type=raw.get("issued_token_type"),
        )


@dataclass(frozen=True)
class Stats:
    """Client counters."""

    token_requests: int
    """Requests sent to the token endpoint."""


@dataclass(frozen=True)
class Response:
    """A proxy answer (2xx, 3xx or 4xx other than 401/403/429, which raise)."""

    status: int
    headers: dict[str, str]
    """Header names are lowercase; a repeated header keeps its values joined by ``, ``."""
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    @classmethod
    def _from(cls, raw: _native.Response) -> Response:
        headers: dict[str, str] = {}
        for k, v in raw.headers:
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        return cls(status=raw.status, headers=headers, body=raw.body)


def _config(
    issuer: str | None,
    token_url: str | None,
    revocation_url: str | None,
    client_id: str | None,
    client_secret: str | None,
    scope: str | Iterable[str] | None,
    resource: str | None,
    base_url: str | None,
    auth: Literal["basic", "post"],
    access_token: str | None,
) -> str:
    if scope is not None and not isinstance(scope, str):
        scope = " ".join(scope)
    cfg = {
        "issuer": issuer,
        "token_endpoint": token_url,
        "revocation_endpoint": revocation_url,
        "client_id": client_id or "",
        "client_secret": client_secret,
        "scope": scope,
        "resource": resource,
        "base_url": base_url,
        "auth": auth,
        "access_token": access_token,
    }
    # The core owns validation (unknown or mistyped fields are a ConfigError).
    return json.dumps({k: v for k, v in cfg.items() if v is not None})


def _body(body: Body) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


class _Base:
    def __init__(
        self,
        issuer: str | None = None,
        *,
        token_url: str | None = None,
        revocation_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scope: str | Iterable[str] | None = None,
        resource: str | None = None,
        base_url: str | None = None,
        auth: Literal["basic", "post"] = "basic",
        access_token: str | None = None,
    ) -> None:
        self._native = _native.Client(
            _config(
                issuer,
                token_url,
                revocation_url,
                client_id,
                client_secret,
                scope,
                resource,
                base_url,
                auth,
                access_token,
            )
        )
        self._client_id = client_id

    def invalidate(self) -> None:
        """Forgets the cached token; the next call acquires a new one."""
        self._native.invalidate()

    def stats(self) -> Stats:
        """Counters (token requests sent)."""
        return Stats(**self._native.stats())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self._client_id!r})"


class Client(_Base):
    """An OAuth client of the oauth4os proxy (or any OAuth 2.0 server).

    Tokens are cached and renewed before they expire; any number of threads share one
    token request. Calls release the GIL while they wait on the network.
    """

    def token(self) -> Token:
        """A valid token, from the cache or freshly acquired."""
        return Token._from(self._native.token())

    def access_token(self) -> str:
        """The access token string of ``token()``."""
        return self._native.access_token()

    def refresh(self, stale: str | None = None) -> Token:
        """A new token, unless the cached one was already replaced since ``stale`` (an access
        token) was handed out; then that one. Concurrent callers share one request."""
        return Token._from(self._native.refresh(stale))

    def request(self, method: str, path: str, body: Body = None) -> Response:
        """Sends ``method path`` to ``base_url`` with the bearer token (one retry after a 401)."""
        return Response._from(self._native.request(method, path, _body(body)))

    def search(self, index: str, query: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``POST /<index>/_search`` with ``query``; the parsed answer."""
        result: dict[str, Any] = self._native.search(index, json.dumps(query or {}))
        return result

    def revoke(self, token: str | None = None) -> None:
        """Revokes ``token`` (default: this client's current tokens, which are then dropped)."""
        self._native.revoke(token)

    def exchange(
        self,
        subject_token: str,
        *,
        scope: str | None = None,
        resource: str | None = None,
        subject_token_type: str | None = None,
    ) -> Token:
        """RFC 8693 token exchange; the result is not cached."""
        return Token._from(
            self._native.exchange(subject_token, subject_token_type, scope, resource)
        )


class AsyncClient(_Base):
    """``Client`` for asyncio: the same methods, as coroutines."""

    async def token(self) -> Token:
        """A valid token, from the cache or freshly acquired."""
        return Token._from(await self._native.token_async())

    async def access_token(self) -> str:
        """The access token string of ``token()``."""
        return await self._native.access_token_async()

    async def refresh(self, stale: str | None = None) -> Token:
        """A new token, unless the cached one was already replaced since ``stale`` (an access
        token) was handed out; then that one. Concurrent callers share one request."""
        return Token._from(await self._native.refresh_async(stale))

    async def request(self, method: str, path: str, body: Body = None) -> Response:
        """Sends ``method path`` to ``base_url`` with the bearer token (one retry after a 401)."""
        return Response._from(await self._native.request_async(method, path, _body(body)))

    async def search(self, index: str, query: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``POST /<index>/_search`` with ``query``; the parsed answer."""
        result: dict[str, Any] = await self._native.search_async(index, json.dumps(query or {}))
        return result

    async def revoke(self, token: str | None = None) -> None:
        """Revokes ``token`` (default: this client's current tokens, which are then dropped)."""
        await self._native.revoke_async(token)

    async def exchange(
        self,
        subject_token: str,
        *,
        scope: str | None = None,
        resource: str | None = None,
        subject_token_type: str | None = None,
    ) -> Token:
        """RFC 8693 token exchange; the result is not cached."""
        raw = await self._native.exchange_async(subject_token, subject_token_type, scope, resource)
        return Token._from(raw)
