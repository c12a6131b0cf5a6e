"""``decide`` and ``ERROR_REASONS``: thin conversions over the core's facade."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

import oauth4os
from oauth4os import _native

from conftest import SDK

CLAIMS = {"iss": "i", "aud": ["a"], "exp": 1, "client_id": "bot", "scope": "read:logs-*"}


def test_error_reasons_are_the_cores() -> None:
    assert oauth4os.ERROR_REASONS == _native.ERROR_REASONS
    assert {"revoked", "expired", "insufficient_scope"} <= set(oauth4os.ERROR_REASONS)
    assert len(set(oauth4os.ERROR_REASONS)) == len(oauth4os.ERROR_REASONS)


def test_an_allowed_request_says_which_scope_and_policy_allowed_it() -> None:
    d = oauth4os.decide(CLAIMS, "GET", "/logs-1/_search", query="q=x")
    assert d.allowed and d.decision == "allow" and d.error is None
    assert d.endpoint
    assert d.accesses == (oauth4os.Access(action="read", index="logs-1", scope="read:logs-*"),)
    assert d.policies == ("oauth4os/scopes",)
    assert d.scopes == "read:logs-*"
    # The claims may be given as JSON too.
    assert oauth4os.decide(json.dumps(CLAIMS), "GET", "/logs-1/_search") == d


def test_a_denied_request_carries_the_error_with_the_scope_needed() -> None:
    d = oauth4os.decide(CLAIMS, "POST", "/metrics/_search", body=b"{}")
    assert not d.allowed and d.decision == "deny"
    assert isinstance(d.error, oauth4os.InsufficientScopeError)
    assert (d.error.code, d.error.reason, d.error.scope) == (
        "insufficient_scope",
        "insufficient_scope",
        "read:metrics",
    )
    assert d.error.message


def test_a_forbid_policy_denies_naming_it() -> None:
    forbid = {"deny.cedar": "forbid(principal, action, resource);"}
    d = oauth4os.decide(CLAIMS, "GET", "/logs-1/_search", policies=forbid)
    assert isinstance(d.error, oauth4os.AccessDeniedError)
    assert d.error.code == "access_denied"


def test_bad_input_raises() -> None:
    with pytest.raises(oauth4os.InvalidRequestError):
        oauth4os.decide("{}", "GET", "/")
    with pytest.raises(oauth4os.OAuth4osError) as e:
        oauth4os.decide(CLAIMS, "GET", "/logs-1/_search", policies="not json")
    assert e.value.code in ("invalid_request", "config")


def test_the_readme_decide_example_prints_what_it_says() -> None:
    readme = (SDK / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.DOTALL) if "decide(" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    want = [line.split("# ", 1)[1] for line in block.splitlines() if line.startswith("print(")]
    assert out.getvalue().splitlines() == want
