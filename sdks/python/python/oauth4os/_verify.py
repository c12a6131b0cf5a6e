"""Access-token verification for resource servers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from oauth4os import _native
from oauth4os._native import Claims

Algorithm = str
"""``RS256``, ``PS256``, ``ES256`` or ``EdDSA``."""


def _config(
    issuer: str,
    audience: str | Iterable[str],
    algorithms: Iterable[Algorithm] | None,
    leeway: int | None,
    required_typ: str | None,
    jwks_uri: str | None,
    cache_capacity: int | None,
) -> str:
    cfg: dict[str, Any] = {
        "issuer": issuer,
        "audiences": [audience] if isinstance(audience, str) else list(audience),
        "algorithms": None if algorithms is None else list(algorithms),
        "leeway": leeway,
        "required_typ": required_typ,
        "jwks_uri": jwks_uri,
        "cache_capacity": cache_capacity,
    }
    # The core owns defaults and validation (a bad field is a ConfigError naming it).
    return json.dumps({k: v for k, v in cfg.items() if v is not None})


class Verifier:
    """Verifies one issuer's access tokens (JWS: RS256, PS256, ES256, EdDSA).

    The issuer's keys are discovered (RFC 8414 / OpenID discovery) and cached; tokens verified
    once are cached until they expire (``cache_capacity`` entries, 0 disables the cache), so
    verifying the same token again costs a lookup.
    """

    def __init__(
        self,
        issuer: str,
        audience: str | Iterable[str],
        *,
        algorithms: Iterable[Algorithm] | None = None,
        leeway: int | None = None,
        required_typ: str | None = None,
        jwks_uri: str | None = None,
        cache_capacity: int | None = None,
    ) -> None:
        cfg = _config(issuer, audience, algorithms, leeway, required_typ, jwks_uri, cache_capacity)
        self._native = _native.Verifier(cfg)
        self._issuer = issuer

    @classmethod
    def from_jwks(
        cls,
        jwks: str | bytes | Mapping[str, Any],
        *,
        issuer: str,
        audience: str | Iterable[str],
        algorithms: Iterable[Algorithm] | None = None,
        leeway: int | None = None,
        required_typ: str | None = None,
        cache_capacity: int | None = None,
    ) -> Verifier:
        """A verifier over a fixed JWKS document (no network)."""
        if isinstance(jwks, bytes):
            jwks = jwks.decode("utf-8")
        doc = jwks if isinstance(jwks, str) else json.dumps(jwks)
        self = cls.__new__(cls)
        cfg = _config(issuer, audience, algorithms, leeway, required_typ, None, cache_capacity)
        self._native = _native.Verifier.from_jwks(doc, cfg)
        self._issuer = issuer
        return self

    def verify(self, token: str, *, now: int | None = None) -> Claims:
        """The token's verified claims, or ``InvalidTokenError`` (``.reason`` says why).

        ``now`` (seconds since the epoch) replaces the clock, for replaying fixed tokens.
        """
        return self._native.verify(token, now)

    def verify_sync(self, token: str, *, now: int | None = None) -> Claims:
        """``verify`` without ever waiting on the network: for ``from_jwks`` verifiers only
        (``ConfigError`` with reason ``needs_fixed_keys`` otherwise)."""
        return self._native.verify_sync(token, now)

    def cached(self, token: str, *, now: int | None = None) -> Claims | None:
        """The claims of an already verified, still valid token from the cache, else ``None``."""
        return self._native.cached(token, now)

    def prefetch_keys(self) -> None:
        """Fetches the issuer's keys now (useful at start-up); nothing for fixed keys."""
        self._native.prefetch_keys()

    def revoke_jti(self, jti: str) -> None:
        """Forgets cached verifications of tokens with this ``jti``."""
        self._native.revoke_jti(jti)

    def __repr__(self) -> str:
        return f"Verifier(issuer={self._issuer!r})"
