"""oauth4os scopes: ``<action>:<index-pattern>``, e.g. ``read:logs-*``.

Actions are ``read``, ``write``, ``manage``, ``monitor`` and ``admin``. A scope string holds
space-separated scopes; every function also takes a list of scopes. Invalid input raises
``InvalidScopeError``.
"""

from __future__ import annotations

from collections.abc import Iterable

from oauth4os import _native

__all__ = ["allows", "attenuate", "covers", "is_within", "matches", "normalize"]


def _join(scopes: str | Iterable[str]) -> str:
    return scopes if isinstance(scopes, str) else " ".join(scopes)


def normalize(scopes: str | Iterable[str]) -> list[str]:
    """The scopes, validated, deduplicated and in canonical order."""
    return _native.scopes_normalize(_join(scopes)).split()


def allows(granted: str | Iterable[str], action: str, target: str) -> bool:
    """Whether ``granted`` allows ``action`` on ``target`` (an index name or pattern)."""
    return _native.scopes_allows(_join(granted), action, target)


def covers(granted: str | Iterable[str], scope: str) -> bool:
    """Whether some scope of ``granted`` grants everything ``scope`` grants."""
    return _native.scopes_covers(_join(granted), scope)


def is_within(requested: str | Iterable[str], ceiling: str | Iterable[str]) -> bool:
    """Whether every scope of ``requested`` is covered by ``ceiling``."""
    return _native.scopes_is_within(_join(requested), _join(ceiling))


def attenuate(requested: str | Iterable[str], allowed: str | Iterable[str]) -> list[str]:
    """``requested`` if it lies within ``allowed`` (all of ``allowed`` when empty), else
    ``InvalidScopeError`` naming the first scope that does not."""
    return _native.scopes_attenuate(_join(requested), _join(allowed)).split()


def matches(pattern: str, index: str) -> bool:
    """Whether the index pattern ``pattern`` (``logs-*``) matches the index name ``index``."""
    return _native.scopes_matches(pattern, index)
