"""The error contract: one class per core code, data on every exception, panics contained."""

from __future__ import annotations

import asyncio
import json

import pytest

import oauth4os
from oauth4os import _native


def test_every_core_error_code_has_its_own_class() -> None:
    # ERROR_CODES comes from the core's ErrorCode::ALL: a new code without a class fails here.
    assert list(oauth4os.ERROR_CLASSES) == _native.ERROR_CODES
    assert len(_native.ERROR_CODES) == 23
    classes = list(oauth4os.ERROR_CLASSES.values())
    assert len(set(classes)) == len(classes)
    for code, cls in oauth4os.ERROR_CLASSES.items():
        assert cls is not oauth4os.OAuth4osError, code
        assert issubclass(cls, oauth4os.OAuth4osError)
        assert issubclass(cls, Exception)
        assert cls.code == code
        assert cls.__module__ == "oauth4os"
        assert getattr(oauth4os, cls.__name__) is cls
        words = "".join(w.capitalize() for w in code.split("_"))
        # `server_error` is `ServerError`, never `ServerErrorError`.
        assert cls.__name__ == (words if words.endswith("Error") else f"{words}Error")


def test_exceptions_carry_code_reason_message_and_help() -> None:
    with pytest.raises(oauth4os.InvalidScopeError) as e:
        oauth4os.scopes.normalize("read:Logs")
    err = e.value
    assert (err.code, err.reason) == ("invalid_scope", "invalid_pattern")
    assert err.message and err.message in str(err)
    assert err.retry_after is None
    assert err.scope is None
    assert isinstance(err, oauth4os.OAuth4osError)


def test_bad_configuration_is_a_config_error_naming_the_field_not_the_value() -> None:
    with pytest.raises(oauth4os.ConfigError) as e:
        oauth4os.Client(token_url="http://127.0.0.1:1/token", client_secret="hunter2")
    assert e.value.reason == "missing_client_id"
    with pytest.raises(oauth4os.ConfigError) as e:
        _native.Client(json.dumps({"client_id": "c", "colour": "hunter2"}))
    assert e.value.reason == "bad_config"
    assert "`colour`" in e.value.message
    assert "hunter2" not in str(e.value)
    with pytest.raises(oauth4os.ConfigError) as e:
        oauth4os.Verifier("https://idp.test", audience=[])
    assert e.value.reason == "missing_audience"
    with pytest.raises(oauth4os.ConfigError):
        oauth4os.Verifier("https://idp.test", "aud", algorithms=["HS256"])
    with pytest.raises(oauth4os.ConfigError):
        oauth4os.Client(
            token_url="http://127.0.0.1:1/token",
            client_id="c",
            auth="digest",  # type: ignore[arg-type]
        )


def test_network_failures_are_network_errors_without_secrets() -> None:
    client = oauth4os.Client(
        token_url="http://127.0.0.1:1/token", client_id="c", client_secret="hunter2"
    )
    with pytest.raises(oauth4os.NetworkError) as e:
        client.token()
    assert "hunter2" not in str(e.value) and "hunter2" not in repr(e.value)
    assert "hunter2" not in repr(client)


def test_a_fixed_token_never_appears_in_reprs() -> None:
    token = oauth4os.Token(access_token="eyJsecret", token_type="Bearer", refresh_token="rt")
    assert "eyJsecret" not in repr(token) and "rt'" not in repr(token)


def test_a_panic_becomes_internal_error_and_the_interpreter_lives_on() -> None:
    for _ in range(2):
        with pytest.raises(oauth4os.InternalError) as e:
            _native._danger_panic_for_tests()
        assert e.value.code == "internal"
        assert "panicked" in e.value.message
    # The module still works afterwards.
    assert oauth4os.scopes.normalize("read:a") == ["read:a"]


def test_a_panic_in_an_awaitable_becomes_internal_error() -> None:
    async def main() -> None:
        with pytest.raises(oauth4os.InternalError):
            await _native._danger_panic_async_for_tests()
        assert oauth4os.scopes.normalize("read:a") == ["read:a"]

    asyncio.run(main())
