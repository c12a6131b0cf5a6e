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
) -> str:
    cfg: dict[str, Any] = {
        "issuer": issuer,
        "audiences": [audience] if isinstance(audience, str) else list(audience),
    }
    if algorithms is not None:
        cfg["algorithms"] = list(algorithms)
    if leeway is not None:
        cfg["leeway"] = leeway
    if required_typ is not None:
        cfg["required_typ"] = required_typ
    return json.dumps(cfg)


class Verifier:
    """Verifies one issuer's access tokens (JWS: RS256, PS256, ES256, EdDSA).

    The issuer's keys are discovered (RFC 8414 / OpenID discovery) and cached; tokens verified
    once are cached until they expire, so verifying the same token again costs a lookup.
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
    ) -> None:
        cfg = _config(issuer, audience, algorithms, leeway, required_typ)
        self._native = _native.Verifier(cfg, None, jwks_uri)
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
    ) -> Verifier:
        """A verifier over a fixed JWKS document (no network)."""
        if isinstance(jwks, bytes):
            jwks = jwks.decode("utf-8")
        doc = jwks if isinstance(jwks, str) else json.dumps(jwks)
        self = cls.__new__(cls)
        cfg = _config(issuer, audience, algorithms, leeway, required_typ)
        self._native = _native.Verifier(cfg, doc, None)
        self._issuer = issuer
        return self

    def verify(self, token: str, *, now: int | None = None) -> Claims:
        """The token's verified claims, or ``InvalidTokenError`` (``.reason`` says why).

        ``now`` (seconds since the epoch) replaces the clock, for replaying fixed tokens.
        """
        return self._native.verify(token, now)

    def prefetch_keys(self) -> None:
        """Fetches the issuer's keys now (useful at start-up)."""
        self._native.prefetch_keys()

    def revoke_jti(self, jti: str) -> None:
        """Forgets cached verifications of tokens with this ``jti``."""
        self._native.revoke_jti(jti)

    def __repr__(self) -> str:
        return f"Verifier(issuer={self._issuer!r})"
