"""oauth4os: scoped, revocable OAuth 2.0 access to OpenSearch.

- ``Client`` / ``AsyncClient``: get tokens (cached, renewed before expiry, one request for any
  number of concurrent callers) and call the proxy with them;
- ``Verifier``: verify access tokens in a resource server;
- ``ERROR_CODES``: every error code; ``ERROR_CLASSES``: each code's exception class;
  ``ERROR_REASONS``: every finer reason (``revoked``, ``expired``, ...);
- ``oauth4os.scopes``: the scope grammar; ``classify``: what an OpenSearch request touches;
  ``decide``: whether a token's claims allow a request, and why (offline).

Every error is an ``OAuth4osError`` with ``.code``, ``.reason``, ``.message``, ``.help``,
``.retry_after`` and ``.scope`` (the scope needed, on ``insufficient_scope``); each error code
has its own subclass.
"""

from __future__ import annotations

from typing import Any

from oauth4os import scopes
from oauth4os._client import AsyncClient, Client, Response, Stats, Token
from oauth4os._decide import Access, Decision, decide
from oauth4os._native import ERROR_CLASSES as _ERROR_CLASSES
from oauth4os._native import (
    ERROR_CODES,
    ERROR_REASONS,
    AccessDeniedError,
    Claims,
    ConfigError,
    ConflictError,
    InsufficientScopeError,
    InternalError,
    InvalidClientError,
    InvalidClientMetadataError,
    InvalidGrantError,
    InvalidRedirectUriError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTargetError,
    InvalidTokenError,
    NetworkError,
    NotFoundError,
    OAuth4osError,
    RateLimitedError,
    ServerError,
    TemporarilyUnavailableError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    UnsupportedResponseTypeError,
    UnsupportedTokenTypeError,
    UpstreamError,
    __version__,
)
from oauth4os._native import classify as _classify
from oauth4os._verify import Verifier

ERROR_CLASSES: dict[str, type[OAuth4osError]] = dict(_ERROR_CLASSES)
"""Every error code and its exception class."""


def classify(
    method: str, path: str, body: bytes | str = b"", query: str | None = None
) -> dict[str, Any]:
    """What an OpenSearch request does: ``{"endpoint": ..., "accesses": [{"action", "resource"}]}``.

    ``path`` is the raw (percent-encoded) path, ``query`` the raw query string without ``?``.
    An unclassifiable request raises ``InvalidRequestError``.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    result: dict[str, Any] = _classify(method, path, query, body)
    return result


__all__ = [
    "ERROR_CLASSES",
    "ERROR_CODES",
    "ERROR_REASONS",
    "Access",
    "AccessDeniedError",
    "AsyncClient",
    "Claims",
    "Client",
    "ConfigError",
    "ConflictError",
    "Decision",
    "InsufficientScopeError",
    "InternalError",
    "InvalidClientError",
    "InvalidClientMetadataError",
    "InvalidGrantError",
    "InvalidRedirectUriError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTargetError",
    "InvalidTokenError",
    "NetworkError",
    "NotFoundError",
    "OAuth4osError",
    "RateLimitedError",
    "Response",
    "ServerError",
    "Stats",
    "TemporarilyUnavailableError",
    "Token",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "UnsupportedTokenTypeError",
    "UpstreamError",
    "Verifier",
    "__version__",
    "classify",
    "decide",
    "scopes",
]
