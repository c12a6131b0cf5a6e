"""The package and its native module export exactly the surface in core/facade/surface.json.

Names map mechanically (the manifest's ``naming`` rule for Python): canonical snake_case as is;
a namespace is a submodule (``oauth4os.scopes``) and a prefix in the native module
(``scopes_normalize``); a constant is an UPPER_SNAKE attribute, ``version`` is ``__version__``;
an async entry is a blocking method, plus ``<name>_async`` in the native module and a coroutine
of the same name in an ``Async<Class>`` twin. A missing, extra or renamed function, method or
parameter of the native module fails here. Data classes (records) and exception classes are
the language's own and not checked by name in the package.
"""

from __future__ import annotations

import copy
import inspect
import json
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

import oauth4os
from oauth4os import _native

from conftest import ROOT

MANIFEST: dict[str, Any] = json.loads((ROOT / "core" / "facade" / "surface.json").read_text())

# Owned by the binding's error mapping, not by the facade.
BINDING_OWNED = {"ERROR_CLASSES"}
# Classes of the package with an `Async<Class>` twin.
TWINS = frozenset({"Client"})


@dataclass
class Exports:
    """What one side exposes, by name."""

    functions: dict[str, list[str] | None] = field(default_factory=dict)
    """Free function → its parameter names (``None``: not introspected)."""
    constants: set[str] = field(default_factory=set)
    namespaces: dict[str, set[str]] = field(default_factory=dict)
    classes: dict[str, dict[str, list[str] | None]] = field(default_factory=dict)
    """Class → method or constructor → parameter names."""
    coroutines: dict[str, set[str]] = field(default_factory=dict)
    """Class → the methods that are coroutine functions."""


def _constant(name: str) -> str:
    return "__version__" if name == "version" else name.upper()


def _params(entry: dict[str, Any]) -> list[str]:
    return [p["name"] for p in entry["params"]]


def expected(manifest: dict[str, Any], *, native: bool) -> Exports:
    """The names the manifest asks of the package (``native=False``) or the native module."""
    out = Exports()
    for f in manifest["functions"]:
        if f["mode"] == "constant":
            out.constants.add(_constant(f["name"]))
        else:
            out.functions[f["name"]] = _params(f)
    for ns in manifest["namespaces"]:
        if native:
            for f in ns["functions"]:
                out.functions[f"{ns['name']}_{f['name']}"] = _params(f)
        else:
            out.namespaces[ns["name"]] = {f["name"] for f in ns["functions"]}
    for c in manifest["classes"]:
        members: dict[str, list[str] | None] = {}
        for k in c["constructors"]:
            members["__new__" if k["name"] == "new" else k["name"]] = _params(k)
        for m in c["methods"]:
            members[m["name"]] = _params(m)
            if native and m["mode"] == "async":
                members[f"{m['name']}_async"] = _params(m)
        if not native:
            members.pop("__new__", None)
        out.classes[c["name"]] = members
        out.coroutines[c["name"]] = {m["name"] for m in c["methods"] if m["mode"] == "async"}
    return out


def _is_class(obj: object) -> bool:
    return isinstance(obj, type)


def _signature(obj: Any) -> list[str] | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [p for p in sig.parameters if p not in ("self", "cls", "$self", "$cls")]


def _members(cls: type, *, native: bool) -> dict[str, list[str] | None]:
    out: dict[str, list[str] | None] = {}
    for name in dir(cls):
        if name.startswith("_") or not callable(getattr(cls, name)):
            continue
        out[name] = _signature(getattr(cls, name)) if native else None
    if native:
        out["__new__"] = _signature(cls)
    return out


def actual(module: types.ModuleType, manifest: dict[str, Any], *, native: bool) -> Exports:
    """What ``module`` exposes, read the way ``expected`` names it."""
    handles = {c["name"] for c in manifest["classes"]}
    records = {r["name"] for r in manifest["records"]}
    names = (
        [n for n in dir(module) if not n.startswith("_")]
        if native
        else list(getattr(module, "__all__", []))
    )
    out = Exports()
    if hasattr(module, "__version__"):
        out.constants.add("__version__")
    for name in names:
        obj = getattr(module, name)
        if name in BINDING_OWNED:
            continue
        if _is_class(obj):
            if issubclass(obj, BaseException):
                continue
            base = name.removeprefix("Async") if not native else name
            if base in handles:
                out.classes[name] = _members(obj, native=native)
                out.coroutines.setdefault(base, set()).update(
                    m for m in dir(obj) if inspect.iscoroutinefunction(getattr(obj, m))
                )
            elif native and name not in records:
                out.classes[name] = {}  # an extra class: reported by `diff`
        elif isinstance(obj, types.ModuleType):
            out.namespaces[name] = set(getattr(obj, "__all__", []))
        elif callable(obj):
            out.functions[name] = _signature(obj) if native else None
        elif name.isupper():
            out.constants.add(name)
    return out


def _compare(what: str, want: dict[str, Any], got: dict[str, Any], problems: list[str]) -> None:
    for name in sorted(set(want) - set(got)):
        problems.append(f"missing {what} {name}")
    for name in sorted(set(got) - set(want)):
        problems.append(f"extra {what} {name}")
    for name in sorted(set(want) & set(got)):
        if want[name] is not None and got[name] is not None and want[name] != got[name]:
            problems.append(f"{what} {name} takes {got[name]}, the manifest says {want[name]}")


def diff(want: Exports, got: Exports, *, twins: frozenset[str] = frozenset()) -> list[str]:
    """Every difference, one line each; empty when the surfaces agree. ``twins``: the classes
    whose ``Async<Class>`` twin must have the same methods, the async ones as coroutines."""
    problems: list[str] = []
    twin_names = {f"Async{c}" for c in twins}
    got_classes = {k: v for k, v in got.classes.items() if k not in twin_names}
    _compare("function", want.functions, got.functions, problems)
    _compare("constant", dict.fromkeys(want.constants), dict.fromkeys(got.constants), problems)
    _compare("namespace", dict.fromkeys(want.namespaces), dict.fromkeys(got.namespaces), problems)
    for ns in sorted(set(want.namespaces) & set(got.namespaces)):
        _compare(
            f"function of {ns}",
            dict.fromkeys(want.namespaces[ns]),
            dict.fromkeys(got.namespaces[ns]),
            problems,
        )
    _compare("class", dict.fromkeys(want.classes), dict.fromkeys(got_classes), problems)
    for cls in sorted(set(want.classes) & set(got_classes)):
        _compare(f"method of {cls}", want.classes[cls], got_classes[cls], problems)
    for cls in sorted(twins):
        twin = got.classes.get(f"Async{cls}", {})
        _compare(f"method of Async{cls}", want.classes.get(cls, {}), twin, problems)
        if got.coroutines.get(cls, set()) != want.coroutines.get(cls, set()):
            problems.append(
                f"Async{cls} coroutines are {sorted(got.coroutines.get(cls, set()))}, "
                f"the manifest's async methods are {sorted(want.coroutines.get(cls, set()))}"
            )
    return problems


# ---- the real package and native module ------------------------------------------------------


def test_the_native_module_is_exactly_the_manifest() -> None:
    problems = diff(expected(MANIFEST, native=True), actual(_native, MANIFEST, native=True))
    assert problems == [], "\n".join(problems)


def test_the_package_is_exactly_the_manifest() -> None:
    want = expected(MANIFEST, native=False)
    got = actual(oauth4os, MANIFEST, native=False)
    problems = diff(want, got, twins=TWINS)
    assert problems == [], "\n".join(problems)
    # The blocking classes have no coroutines; the async twin has exactly the async entries.
    assert got.coroutines.get("Verifier", set()) == set()
    assert {
        m for m in dir(oauth4os.Client) if inspect.iscoroutinefunction(getattr(oauth4os.Client, m))
    } == set()


def test_constants_and_error_classes_follow_the_manifest() -> None:
    assert oauth4os.__version__ == _native.__version__
    assert oauth4os.ERROR_CODES == MANIFEST["errors"]["codes"] == _native.ERROR_CODES
    assert list(oauth4os.ERROR_CLASSES) == MANIFEST["errors"]["codes"]
    fields = [f.rstrip("?") for f in MANIFEST["errors"]["record"]["fields"]]
    err = oauth4os.InvalidScopeError("m")
    for f in fields:
        assert hasattr(err, f), f


def test_records_that_are_native_classes_carry_the_manifest_fields() -> None:
    records = {r["name"]: [f.rstrip("?") for f in r["fields"]] for r in MANIFEST["records"]}
    for name in ("Claims", "Response"):
        cls = getattr(_native, name)
        for f in records[name]:
            assert hasattr(cls, f), f"{name}.{f}"


# ---- the checker catches drift ---------------------------------------------------------------


def _manifest_without(kind: str, name: str) -> dict[str, Any]:
    m = copy.deepcopy(MANIFEST)
    if kind == "function":
        m["functions"] = [f for f in m["functions"] if f["name"] != name]
    elif kind == "scopes":
        ns = next(n for n in m["namespaces"] if n["name"] == "scopes")
        ns["functions"] = [f for f in ns["functions"] if f["name"] != name]
    else:
        cls = next(c for c in m["classes"] if c["name"] == kind)
        cls["methods"] = [f for f in cls["methods"] if f["name"] != name]
    return m


@pytest.mark.parametrize(
    ("kind", "name", "native_problem", "package_problem"),
    [
        ("function", "classify", "extra function classify", "extra function classify"),
        ("scopes", "covers", "extra function scopes_covers", "extra function of scopes covers"),
        ("Verifier", "prefetch_keys", "extra method of Verifier prefetch_keys", None),
        ("Client", "refresh", "extra method of Client refresh_async", None),
    ],
)
def test_an_entry_the_manifest_lacks_is_an_extra_export(
    kind: str, name: str, native_problem: str, package_problem: str | None
) -> None:
    m = _manifest_without(kind, name)
    native = diff(expected(m, native=True), actual(_native, m, native=True))
    assert native_problem in native, native
    package = diff(expected(m, native=False), actual(oauth4os, m, native=False), twins=TWINS)
    assert package, "the package check must fail too"
    if package_problem:
        assert package_problem in package, package


def test_a_missing_a_renamed_and_a_mistyped_entry_fail() -> None:
    m = copy.deepcopy(MANIFEST)
    scopes_ns = next(n for n in m["namespaces"] if n["name"] == "scopes")
    scopes_ns["functions"].append({**scopes_ns["functions"][0], "name": "intersect"})
    verifier = next(c for c in m["classes"] if c["name"] == "Verifier")
    verify = next(f for f in verifier["methods"] if f["name"] == "verify")
    verify["params"] = [{"name": "jwt", "type": "string", "optional": False}]
    m["functions"].append({**m["functions"][-1], "name": "explain"})
    native = diff(expected(m, native=True), actual(_native, m, native=True))
    assert "missing function scopes_intersect" in native
    assert "missing function explain" in native
    assert any(p.startswith("method of Verifier verify takes") for p in native), native
    package = diff(expected(m, native=False), actual(oauth4os, m, native=False), twins=TWINS)
    assert "missing function of scopes intersect" in package
    assert "missing function explain" in package


def test_the_checker_on_a_fake_module() -> None:
    manifest = {
        "functions": [{"name": "version", "mode": "constant", "params": []}],
        "namespaces": [
            {
                "name": "scopes",
                "functions": [
                    {"name": "allows", "mode": "sync", "params": [{"name": "granted"}]},
                ],
            }
        ],
        "classes": [
            {
                "name": "Client",
                "constructors": [{"name": "new", "mode": "sync", "params": []}],
                "methods": [{"name": "token", "mode": "async", "params": []}],
            }
        ],
        "records": [],
    }

    class Client:
        def token(self) -> None: ...
        def tokens(self) -> None: ...  # renamed or extra: fails

    class AsyncClient:
        def token(self) -> None: ...  # not a coroutine: fails

    scopes = types.ModuleType("scopes")
    scopes.__all__ = ["allows", "parse"]  # type: ignore[attr-defined]
    fake = types.ModuleType("fake")
    fake.__all__ = ["Client", "AsyncClient", "scopes", "stray"]  # type: ignore[attr-defined]
    fake.Client = Client  # type: ignore[attr-defined]
    fake.AsyncClient = AsyncClient  # type: ignore[attr-defined]
    fake.scopes = scopes  # type: ignore[attr-defined]
    fake.stray = lambda: None  # type: ignore[attr-defined]
    problems = diff(
        expected(manifest, native=False), actual(fake, manifest, native=False), twins=TWINS
    )
    assert "missing constant __version__" in problems
    assert "extra function stray" in problems
    assert "extra function of scopes parse" in problems
    assert "extra method of Client tokens" in problems
    assert any(p.startswith("AsyncClient coroutines are []") for p in problems), problems
    assert len(problems) == 5, problems
