"""Replays core/conformance/vectors.json: the same results and error codes as the Rust core."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import oauth4os
from oauth4os import OAuth4osError, Verifier, classify, scopes

VECTORS = json.loads(
    (Path(__file__).resolve().parents[3] / "core" / "conformance" / "vectors.json").read_text()
)


def _verifier() -> Verifier:
    cfg = VECTORS["verifier"]
    return Verifier.from_jwks(
        VECTORS["jwks"],
        issuer=cfg["issuer"],
        audience=cfg["audiences"],
        algorithms=cfg["algorithms"],
        leeway=cfg["leeway"],
        required_typ=cfg["required_typ"],
    )


def _error(e: OAuth4osError) -> dict[str, Any]:
    return {"ok": False, "code": e.code, "reason": e.reason}


@pytest.mark.parametrize("case", VECTORS["verification"], ids=lambda c: c["name"])
def test_verification(case: dict[str, Any]) -> None:
    verifier = _verifier()
    expect = case["expect"]
    for attempt in ("cold", "cached"):
        try:
            claims = verifier.verify(case["token"], now=VECTORS["now"])
            got: dict[str, Any] = {"ok": True, "claims": claims.to_dict()}
        except OAuth4osError as e:
            assert type(e) is oauth4os.ERROR_CLASSES[e.code], attempt
            got = _error(e)
        assert got == expect, attempt


def test_the_verification_vectors_are_all_there(vectors: dict[str, Any]) -> None:
    names = {c["name"] for c in vectors["verification"]}
    assert len(names) == len(vectors["verification"]) >= 30
    assert {"valid_es256", "valid_rs256", "valid_eddsa", "alg_none", "expired"} <= names


def test_a_cached_token_is_still_checked_against_the_clock() -> None:
    verifier = _verifier()
    good = next(c for c in VECTORS["verification"] if c["name"] == "valid_es256")
    claims = verifier.verify(good["token"], now=VECTORS["now"])
    assert claims.client_id == "my-agent"
    assert claims.scope == "read:logs-*"
    assert claims.aud == [VECTORS["verifier"]["audiences"][0]]
    assert claims.exp == VECTORS["now"] + 300
    with pytest.raises(oauth4os.InvalidTokenError) as e:
        verifier.verify(good["token"], now=VECTORS["now"] + 3600)
    assert e.value.reason == "expired"


_SCOPE_OPS = ("parse", "allows", "covers", "is_within", "attenuate")


def _outcome(fn: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"ok": True, "value": fn()}
    except OAuth4osError as e:
        assert type(e) is oauth4os.ERROR_CLASSES[e.code]
        return _error(e)


def _scope_cases(op: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", VECTORS["scopes"][op], ids=lambda c: c["why"])


@_scope_cases("parse")
def test_scope_parse(case: dict[str, Any]) -> None:
    got = _outcome(lambda: " ".join(scopes.normalize(case["input"])))
    assert got == case["expect"], case["why"]


@_scope_cases("allows")
def test_scope_allows(case: dict[str, Any]) -> None:
    got = _outcome(lambda: scopes.allows(case["granted"], case["action"], case["target"]))
    assert got == case["expect"], case["why"]


@_scope_cases("covers")
def test_scope_covers(case: dict[str, Any]) -> None:
    got = _outcome(lambda: scopes.covers(case["granted"], case["scope"]))
    assert got == case["expect"], case["why"]


@_scope_cases("is_within")
def test_scope_is_within(case: dict[str, Any]) -> None:
    got = _outcome(lambda: scopes.is_within(case["scopes"], case["ceiling"]))
    assert got == case["expect"], case["why"]


@_scope_cases("attenuate")
def test_scope_attenuate(case: dict[str, Any]) -> None:
    got = _outcome(lambda: " ".join(scopes.attenuate(case["requested"], case["allowed"])))
    assert got == case["expect"], case["why"]


@pytest.mark.parametrize(
    "case",
    VECTORS["classification"],
    ids=lambda c: f"{c['method']} {c['path']}{'?' + c['query'] if c['query'] else ''}",
)
def test_classification(case: dict[str, Any]) -> None:
    try:
        result = classify(case["method"], case["path"], case["body"], case["query"])
        got: dict[str, Any] = {"ok": True, **result}
    except OAuth4osError as e:
        assert type(e) is oauth4os.ERROR_CLASSES[e.code]
        got = _error(e)
    assert got == case["expect"], case["why"]


def test_the_hand_written_vectors_are_all_there() -> None:
    assert sum(len(VECTORS["scopes"][op]) for op in _SCOPE_OPS) >= 60
    assert len(VECTORS["classification"]) >= 90
    every = [c for op in _SCOPE_OPS for c in VECTORS["scopes"][op]] + VECTORS["classification"]
    assert all(c["why"] for c in every)


def test_scope_helpers_beyond_the_vectors() -> None:
    assert scopes.matches("logs-*", "logs-2026")
    assert not scopes.matches("logs-*", "metrics")
    assert scopes.covers(["read:logs-*", "write:x"], "read:logs-app")
    assert not scopes.covers("read:logs-app", "read:logs-*")
    assert scopes.is_within("read:logs-app", "read:logs-* write:x")
    assert not scopes.is_within("write:logs-app", "read:logs-*")
    with pytest.raises(oauth4os.InvalidScopeError) as e:
        scopes.attenuate("admin:*", "read:logs-*")
    assert e.value.reason == "scope_not_allowed"
    with pytest.raises(OAuth4osError):
        scopes.allows("read:logs-*", "fly", "logs-a")
