"""ruff, mypy --strict and stubtest are clean on the package, the tests and the benchmark."""

from __future__ import annotations

import subprocess
import sys

from conftest import SDK

PATHS = ["python/oauth4os", "tests", "bench"]


def _run(*args: str) -> None:
    proc = subprocess.run(args, cwd=SDK, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_check() -> None:
    _run(sys.executable, "-m", "ruff", "check", *PATHS)


def test_ruff_format() -> None:
    _run(sys.executable, "-m", "ruff", "format", "--check", *PATHS)


def test_mypy_strict() -> None:
    _run(sys.executable, "-m", "mypy", "--strict", *PATHS)


def test_stubs_match_the_native_module() -> None:
    _run(sys.executable, "-m", "mypy.stubtest", "oauth4os._native")
