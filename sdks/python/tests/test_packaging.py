"""Packaging: the abi3 wheel, one version with the workspace, py.typed, a README that runs."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import oauth4os

from conftest import ROOT, SDK, Peers, http_json


def _workspace_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1]
    found = re.search(r'^version\s*=\s*"([^"]+)"', section, re.MULTILINE)
    assert found, "no version in [workspace.package]"
    return found.group(1)


def _wheels() -> list[Path]:
    wheel_dir = os.environ.get("OAUTH4OS_PY_WHEEL_DIR")
    if not wheel_dir:
        pytest.fail("run through ci/test.sh, which builds the wheel (OAUTH4OS_PY_WHEEL_DIR)")
    return sorted(Path(wheel_dir).glob("oauth4os-*.whl"))


def test_the_version_is_the_workspace_version() -> None:
    version = _workspace_version()
    assert oauth4os.__version__ == version
    assert metadata.version("oauth4os") == version
    project = (SDK / "pyproject.toml").read_text().split("[project]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.MULTILINE), "the version is the workspace's"
    assert 'dynamic = ["version"]' in project


def test_the_release_wheel_is_one_abi3_wheel_for_python_3_9_and_later() -> None:
    wheels = _wheels()
    assert len(wheels) == 1, wheels
    name = wheels[0].name
    assert name.startswith(f"oauth4os-{_workspace_version()}-cp39-abi3-"), name
    with zipfile.ZipFile(wheels[0]) as z:
        names = z.namelist()
        wheel_meta = z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
    assert "Tag: cp39-abi3-" in wheel_meta
    assert "oauth4os/py.typed" in names
    assert "oauth4os/_native.pyi" in names
    assert any(re.fullmatch(r"oauth4os/_native\.abi3\.so", n) for n in names), names


def test_the_installed_package_is_typed_and_private_native() -> None:
    pkg = Path(oauth4os.__file__).parent
    assert (pkg / "py.typed").exists()
    assert oauth4os._native.__name__ == "oauth4os._native"
    assert "site-packages" in str(pkg), "tests must run against the installed package"


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.DOTALL)


def test_the_readme_quick_start_runs(peers: Peers) -> None:
    readme = (SDK / "README.md").read_text()
    quick_start = _python_blocks(readme.split("## Quick start", 1)[1])[0]
    code = quick_start.replace("http://localhost:8443", peers.proxy)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("hits: ")
    # The quick start searches `logs-*`: it must see exactly what OpenSearch holds there.
    expected = http_json("GET", f"{peers.opensearch}/logs-*/_count?allow_no_indices=true")
    assert int(lines[0].split()[1]) == expected["count"]
    assert lines[1] == "refused: insufficient_scope insufficient_scope"
    assert lines[2] == "token requests: 1"


def test_the_readme_async_example_runs(peers: Peers) -> None:
    readme = (SDK / "README.md").read_text()
    block = next(b for b in _python_blocks(readme) if "AsyncClient" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.replace("http://localhost:8443", peers.proxy), "README.md", "exec"), {})
    assert out.getvalue().strip() == "1"


def test_python_version_floor_is_declared() -> None:
    assert 'requires-python = ">=3.9"' in (SDK / "pyproject.toml").read_text()
    assert sys.version_info >= (3, 9)
