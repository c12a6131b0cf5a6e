"""Replays core/conformance/vectors.json: the same results and error codes as the Rust core."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("case", VECTORS["scopes"]["parse"], ids=lambda c: repr(c["input"]))
def test_scope_parse(case: dict[str, Any]) -> None:
    try:
        got: dict[str, Any] = {
            "input": case["input"],
            "ok": True,
            "normalized": " ".join(scopes.parse(case["input"])),
        }
    except OAuth4osError as e:
        got = {"input": case["input"], **_error(e)}
    assert got == case


@pytest.mark.parametrize(
    "case",
    VECTORS["scopes"]["allows"],
    ids=lambda c: f"{c['granted']}|{c['action']}|{c['target']}",
)
def test_scope_allows(case: dict[str, Any]) -> None:
    assert scopes.allows(case["granted"], case["action"], case["target"]) is case["allowed"]


@pytest.mark.parametrize(
    "case", VECTORS["scopes"]["attenuate"], ids=lambda c: f"{c['requested']}|{c['allowed']}"
)
def test_scope_attenuate(case: dict[str, Any]) -> None:
    base = {"requested": case["requested"], "allowed": case["allowed"]}
    try:
        granted = scopes.attenuate(case["requested"], case["allowed"])
        got: dict[str, Any] = {**base, "ok": True, "granted": " ".join(granted)}
    except OAuth4osError as e:
        got = {**base, **_error(e)}
    assert got == case


@pytest.mark.parametrize(
    "case", VECTORS["classification"], ids=lambda c: f"{c['method']} {c['path']}"
)
def test_classification(case: dict[str, Any]) -> None:
    try:
        result = classify(case["method"], case["path"], case["body"], case["query"])
        got: dict[str, Any] = {"ok": True, **result}
    except OAuth4osError as e:
        got = _error(e)
    assert got == case["expect"]


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
