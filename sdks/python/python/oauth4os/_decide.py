"""The request decision, offline: ``decide`` and its ``Decision``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oauth4os import _native
from oauth4os._native import ERROR_CLASSES as _ERROR_CLASSES
from oauth4os._native import OAuth4osError

_CLASSES: dict[str, type[OAuth4osError]] = dict(_ERROR_CLASSES)


@dataclass(frozen=True)
class Access:
    """One access of an allowed request and the scope that grants it."""

    action: str
    """``read``, ``write``, ``manage``, ``monitor`` or ``admin``."""
    index: str | None
    """The index pattern, or ``None`` for the cluster."""
    scope: str | None
    """The first of the token's scopes that grants it."""


@dataclass(frozen=True)
class Decision:
    """The outcome of ``decide`` and why."""

    decision: str
    """``"allow"`` or ``"deny"``."""
    endpoint: str | None
    """The endpoint the request was classified as (``None`` when it could not be)."""
    accesses: tuple[Access, ...]
    """For an allowed request: every access and the scope that grants it."""
    policies: tuple[str, ...]
    """For an allowed request: the Cedar permits that allowed it (``oauth4os/scopes`` is the
    built-in one)."""
    scopes: str
    """The token's scopes, space-separated, as the decision read them."""
    error: OAuth4osError | None = None
    """For a denied request: why, as the exception the proxy's answer would raise
    (``InsufficientScopeError`` with ``.scope``, ``AccessDeniedError``, ...); not raised."""

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.decision == "allow"


def _error(raw: Mapping[str, Any]) -> OAuth4osError:
    code = str(raw["code"])
    err = _CLASSES.get(code, OAuth4osError)(raw["message"])
    err.code = code
    err.reason = str(raw["reason"])
    err.message = str(raw["message"])
    err.help = raw.get("help")
    err.retry_after = raw.get("retry_after")
    err.scope = raw.get("scope")
    return err


def decide(
    claims: Mapping[str, Any] | str,
    method: str,
    path: str,
    query: str | None = None,
    body: bytes | str | None = None,
    policies: Mapping[str, str] | str | None = None,
) -> Decision:
    """The request decision, offline: may a token with these verified ``claims`` (a mapping,
    e.g. ``Claims.to_dict()``, or its JSON) make this request under these Cedar ``policies``
    (file name → policy text, or its JSON; ``None``: the built-in scope policy only)?

    ``path`` is the raw (percent-encoded) path, ``query`` the raw query string without ``?``.
    A denial is a ``Decision`` whose ``error`` says why; bad claims or policies raise
    ``InvalidRequestError`` or ``ConfigError``.
    """
    claims_json = claims if isinstance(claims, str) else json.dumps(dict(claims))
    policies_json = (
        policies if policies is None or isinstance(policies, str) else json.dumps(dict(policies))
    )
    raw_body = body.encode("utf-8") if isinstance(body, str) else body
    raw: dict[str, Any] = _native.decide(claims_json, method, path, query, raw_body, policies_json)
    error = raw.get("error")
    return Decision(
        decision=raw["decision"],
        endpoint=raw.get("endpoint"),
        accesses=tuple(
            Access(action=a["action"], index=a.get("index"), scope=a.get("scope"))
            for a in raw["accesses"]
        ),
        policies=tuple(raw["policies"]),
        scopes=raw["scopes"],
        error=None if error is None else _error(error),
    )
