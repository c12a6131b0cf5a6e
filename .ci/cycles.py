#!/usr/bin/env python3
"""Module import circles and layer violations in the Rust workspace.

    python3 .ci/cycles.py [--root DIR] [--layers FILE] [-v]   # check; exit 1 on any finding
    python3 .ci/cycles.py --self-test                         # the checker's own tests

For every workspace member (from `[workspace] members` in Cargo.toml) and each of its crate
roots (`src/lib.rs`, `src/main.rs`), the module tree is read: `mod a;` as `a.rs` or `a/mod.rs`
(or `#[path]`), inline `mod a { ... }`. Modules under `#[cfg(test)]` are left out: a test module
importing its parent is not a circle. Module `m` depends on module `t` when `m` names `t` through
`crate::`, `super::` or `self::`, in a `use` item or an inline path; the target is the deepest
module the path names (`crate::auth::store::Store` → `auth::store`).

Circles are looked for between siblings: an import from anywhere inside sibling `a` to anywhere
inside sibling `b` (`auth::admin::clients` naming `app`) is the edge `a` → `b` at their parent's
level (here `auth` → `app`). A module naming its own ancestor or descendant is the tree, not an
import: a parent declares, re-exports and delegates to its children, and they use its items.
Every strongly connected component of more than one sibling is a circle, printed as a path with
one import (file:line) per step.

Layers (`.ci/layers.toml`): per crate, an ordered list of layers from the top, each a list of
module paths (`edge`, `services::store`, ...). A module belongs to the layer of the longest listed
prefix of its path; an edge from a module of a lower layer to one of a higher layer fails, and so
does a top-level module that no layer lists (a new module must say where it stands).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import tomllib
import unittest
from dataclasses import dataclass, field
from pathlib import Path

ModPath = tuple[str, ...]


# --- Rust source scanning -------------------------------------------------------------------


def strip_rust(text: str) -> str:
    """Comments, string and char literals blanked out (newlines kept, so offsets stay valid)."""
    out = []
    i, n = 0, len(text)

    def blank(s: str) -> str:
        return re.sub(r"[^\n]", " ", s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', text[i:i + 300])) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(blank(text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i:j + 1]))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\])'", text[i:i + 12])
            if m:  # a char literal; otherwise a lifetime or label
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


MOD_RE = re.compile(
    r"((?:#\s*\[[^\]]*(?:\[[^\]]*\][^\]]*)*\]\s*)*)"  # outer attributes
    r"(?:pub\s*(?:\([^)]*\))?\s*)?mod\s+(r#)?(\w+)\s*([;{])"
)
TEST_CFG_RE = re.compile(r"#\s*\[\s*cfg\s*\((?:[^\]]*\W)?test\b")
PATH_ATTR_RE = re.compile(r'#\s*\[\s*path\s*=\s*"([^"]*)"\s*\]')
USE_RE = re.compile(r"\buse\s+([^;]*);")
INLINE_PATH_RE = re.compile(r"(?<![\w:])\$?(crate|super|self)((?:\s*::\s*\w+)+)")
PUB_IN_RE = re.compile(r"pub\s*\(\s*in\s+[^)]*\)")


def expand_use_tree(tree: str) -> list[list[str]]:
    """`crate::{a::B, c::{self, D}}` → [[crate, a, B], [crate, c], [crate, c, D]]."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"\bas\w+", "", re.sub(r"(\w)as(\w)", r"\1 as \2", tree))

    def parse(s: str, prefix: list[str]) -> list[list[str]]:
        s = s.strip(":")
        if not s:
            return []
        if "{" in s and (s.find("{") < s.find("::") or "::" not in s.split("{")[0] or True):
            brace = s.find("{")
            head = [p for p in s[:brace].split("::") if p]
            inner = s[brace + 1:s.rfind("}")]
            parts, depth, cur = [], 0, ""
            for ch in inner:
                if ch == "," and depth == 0:
                    parts.append(cur)
                    cur = ""
                    continue
                depth += (ch == "{") - (ch == "}")
                cur += ch
            parts.append(cur)
            res = []
            for p in parts:
                if p.strip() == "self":
                    res.append(prefix + head)
                elif p.strip():
                    res.extend(parse(p, prefix + head))
            return res
        segs = [p.split(" ")[0] for p in s.split("::") if p]
        return [prefix + [x for x in segs if x not in ("*",)]]

    return parse(tree, [])


# --- Module tree ----------------------------------------------------------------------------


@dataclass
class Module:
    path: ModPath
    file: Path
    text: str  # stripped source of this module alone (inline children blanked)
    test: bool = False
    children: dict[str, "Module"] = field(default_factory=dict)


def load_module_file(path: ModPath, file: Path, own_dir: Path, test: bool, mods: dict[ModPath, Module]) -> None:
    text = strip_rust(file.read_text(encoding="utf-8"))
    if re.match(r"\s*#!\s*\[\s*cfg\s*\(\s*test\s*\)", text):
        test = True
    scan_module(path, file, text, own_dir, test, mods)


def scan_module(path: ModPath, file: Path, text: str, own_dir: Path, test: bool, mods: dict[ModPath, Module]) -> None:
    own = list(text)
    module = Module(path, file, "", test)
    mods[path] = module
    pos = 0
    while (m := MOD_RE.search(text, pos)) is not None:
        attrs, name, kind = m.group(1), m.group(3), m.group(4)
        child_test = test or bool(TEST_CFG_RE.search(attrs))
        child = path + (name,)
        if kind == "{":
            close = matching_brace(text, m.end() - 1)
            body = text[m.end():close]
            scan_module(child, file, body, own_dir / name, child_test, mods)
            for j in range(m.start(), close + 1):
                if own[j] != "\n":
                    own[j] = " "
            pos = close + 1
        else:
            p = PATH_ATTR_RE.search(attrs)
            candidates = [file.parent / p.group(1)] if p else [own_dir / f"{name}.rs", own_dir / name / "mod.rs"]
            target = next((c for c in candidates if c.is_file()), None)
            if target is None:
                raise SystemExit(f"{file}: `mod {name};` has no file (looked for {', '.join(map(str, candidates))})")
            sub_dir = target.parent if target.name == "mod.rs" else own_dir / name
            load_module_file(child, target, sub_dir, child_test, mods)
            for j in range(m.start(), m.end()):
                own[j] = " "
            pos = m.end()
        module.children[name] = mods[child]
    module.text = "".join(own)


def load_crate(root_file: Path) -> dict[ModPath, Module]:
    mods: dict[ModPath, Module] = {}
    load_module_file((), root_file, root_file.parent, False, mods)
    return mods


# --- Dependency graph -----------------------------------------------------------------------


def resolve(origin: ModPath, segs: list[str], mods: dict[ModPath, Module]) -> ModPath | None:
    if not segs:
        return None
    base: ModPath
    first, rest = segs[0], segs[1:]
    if first in ("crate", "$crate"):
        base = ()
    elif first == "self":
        base = origin
    elif first == "super":
        base = origin[:-1]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    else:
        return None
    for s in rest:
        if base + (s,) in mods:
            base = base + (s,)
        else:
            break
    return base


def references(module: Module) -> list[tuple[list[str], int]]:
    """Every `crate::`/`super::`/`self::` path the module names, with its line number."""
    text = PUB_IN_RE.sub(lambda m: " " * len(m.group(0)), module.text)
    found = []
    blanked = list(text)
    for m in USE_RE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        for segs in expand_use_tree(m.group(1)):
            found.append((segs, line))
        for j in range(m.start(), m.end()):
            if blanked[j] != "\n":
                blanked[j] = " "
    rest = "".join(blanked)
    for m in INLINE_PATH_RE.finditer(rest):
        segs = [m.group(1)] + [s for s in re.split(r"\s*::\s*", m.group(2)) if s]
        found.append((segs, rest.count("\n", 0, m.start()) + 1))
    return found


@dataclass
class Edge:
    src: ModPath
    dst: ModPath
    file: Path
    line: int


def build_graph(mods: dict[ModPath, Module]) -> tuple[dict[ModPath, dict[ModPath, Edge]], list[Edge]]:
    """Every import between two modules neither of which contains the other, as an edge between
    the two sibling subtrees it crosses (`a::x::y` naming `a::z` is `a::x` → `a::z`)."""
    graph: dict[ModPath, dict[ModPath, Edge]] = {p: {} for p, m in mods.items() if not m.test}
    raw: list[Edge] = []
    for path, module in mods.items():
        if module.test:
            continue
        for segs, line in references(module):
            target = resolve(path, segs, mods)
            if target is None:
                continue
            while target not in graph and target:
                target = target[:-1]  # a path through a test module counts as its parent
            common = 0
            while common < min(len(path), len(target)) and path[common] == target[common]:
                common += 1
            if common == len(path) or common == len(target):
                continue  # itself, an ancestor or a descendant: the tree, not an import
            edge = Edge(path, target, module.file, line)
            raw.append(edge)
            graph[path[: common + 1]].setdefault(target[: common + 1], edge)
    return graph, raw


def strongly_connected(graph: dict[ModPath, dict[ModPath, Edge]]) -> list[list[ModPath]]:
    index: dict[ModPath, int] = {}
    low: dict[ModPath, int] = {}
    stack: list[ModPath] = []
    on_stack: set[ModPath] = set()
    out: list[list[ModPath]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def cycle_through(graph: dict[ModPath, dict[ModPath, Edge]], comp: list[ModPath]) -> list[ModPath]:
    """A shortest circle from the component's first module back to itself."""
    members, start = set(comp), comp[0]
    prev: dict[ModPath, ModPath] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if nxt not in prev:
                    prev[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return comp


# --- Layers ---------------------------------------------------------------------------------


def layer_of(path: ModPath, layers: list[tuple[str, list[ModPath]]]) -> tuple[int, str] | None:
    best: tuple[int, int, str] | None = None
    for rank, (name, prefixes) in enumerate(layers):
        for p in prefixes:
            if path[: len(p)] == p and (best is None or len(p) > best[0]):
                best = (len(p), rank, name)
    return None if best is None else (best[1], best[2])


def load_layers(file: Path | None) -> dict[str, list[tuple[str, list[ModPath]]]]:
    if file is None or not file.is_file():
        return {}
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    out = {}
    for crate, spec in data.items():
        order = spec.get("order", [])
        out[crate] = [(name, [tuple(p.split("::")) for p in spec.get(name, [])]) for name in order]
    return out


# --- Driver ---------------------------------------------------------------------------------


def show(p: ModPath) -> str:
    return "::".join(p) if p else "crate"


def crate_roots(root: Path) -> list[tuple[str, Path]]:
    ws = tomllib.loads((root / "Cargo.toml").read_text(encoding="utf-8"))
    members = ws.get("workspace", {}).get("members", [])
    roots = []
    for pattern in members:
        for member in sorted(root.glob(pattern)):
            manifest = member / "Cargo.toml"
            if not manifest.is_file():
                continue
            name = tomllib.loads(manifest.read_text(encoding="utf-8")).get("package", {}).get("name", member.name)
            for entry in ("src/lib.rs", "src/main.rs"):
                if (member / entry).is_file():
                    roots.append((f"{name} ({member.relative_to(root)}/{entry})", member / entry))
    return roots


def check(root: Path, layers_file: Path | None, verbose: bool = False, out=sys.stdout) -> int:
    layers = load_layers(layers_file)
    problems = 0
    for label, entry in crate_roots(root):
        mods = load_crate(entry)
        graph, raw = build_graph(mods)
        crate_dir = entry.parent.parent
        crate_key = str(crate_dir.relative_to(root))
        if verbose:
            pairs = sorted({(e.src, e.dst) for e in raw})
            print(f"{label}: {len(graph)} modules, {len(pairs)} imports", file=out)
            for src, dst in pairs:
                print(f"    {show(src)} -> {show(dst)}", file=out)
        for comp in strongly_connected(graph):
            problems += 1
            circle = cycle_through(graph, comp)
            print(f"{label}: import circle of {len(comp)} modules: {', '.join(map(show, comp))}", file=out)
            print(f"  e.g. {' -> '.join(map(show, circle))}", file=out)
            for a, b in zip(circle, circle[1:]):
                e = graph[a][b]
                how = f"{show(e.src)} names {show(e.dst)}"
                print(f"    {show(a)} -> {show(b)}: {how} ({e.file.relative_to(root)}:{e.line})", file=out)
        spec = layers.get(crate_key)
        if spec and entry.name == "lib.rs":
            for top in sorted(k for k in graph if len(k) == 1):
                if layer_of(top, spec) is None:
                    problems += 1
                    print(f"{label}: module `{show(top)}` is in no layer of {layers_file}", file=out)
            seen: set[tuple[ModPath, ModPath]] = set()
            for e in raw:
                src, dst = e.src, e.dst
                ls, ld = layer_of(src, spec), layer_of(dst, spec)
                if ls and ld and ld[0] < ls[0] and (src, dst) not in seen:
                    seen.add((src, dst))
                    problems += 1
                    print(
                        f"{label}: `{show(src)}` ({ls[1]}) imports `{show(dst)}` ({ld[1]}), a higher layer"
                        f"  ({e.file.relative_to(root)}:{e.line})",
                        file=out,
                    )
    if problems == 0 and verbose:
        print("no import circles, no layer violations", file=out)
    return 1 if problems else 0


# --- Self-test ------------------------------------------------------------------------------


FIXTURE = {
    "Cargo.toml": '[workspace]\nmembers = ["a", "b/*"]\n',
    "a/Cargo.toml": '[package]\nname = "a"\n',
    "a/src/lib.rs": (
        "//! crate::gone in a doc comment is no import\n"
        "pub mod top;\nmod low;\nmod mid;\nmod nested;\n"
        "#[cfg(test)]\nmod tests;\n"
    ),
    # `top` may import anything below it.
    "a/src/top.rs": "use crate::{mid::M, low};\npub fn f() { low::g(); }\n",
    # `mid` → `nested::x` → `mid`: a circle through a `foo.rs` + `foo/` module (`nested::x` is in
    # the subtree `nested`, so the circle is between the siblings `mid` and `nested`).
    "a/src/mid.rs": "pub struct M;\npub fn h() { crate::nested::x::run() }\n",
    "a/src/nested.rs": "pub mod x;\n",
    "a/src/nested/x.rs": "use super::super::mid;\npub fn run() { let _ = mid::M; }\n",
    # `low` (services) importing `top` (edge) is a layer violation (and, as `top` imports `low`,
    # a circle), written as an inline path.
    "a/src/low.rs": (
        'pub fn g() { let _s = "crate::mid::M"; }\n'
        "pub fn bad() { crate::top::f() }\n"
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::top;\n}\n"
    ),
    "a/src/tests.rs": "use crate::top;\n",
    "b/c/Cargo.toml": '[package]\nname = "c"\n',
    "b/c/src/lib.rs": "mod p;\nmod q {\n    pub fn z() { super::p::y() }\n}\n",
    # `p/mod.rs` ↔ inline `q`: a circle across a mod.rs and an inline module.
    "b/c/src/p/mod.rs": "pub fn y() {}\npub fn w() { crate::q::z() }\n",
    ".ci/layers.toml": '[a]\norder = ["edge", "mid", "services"]\nedge = ["top"]\nmid = ["mid", "nested"]\nservices = ["low"]\n',
}


class SelfTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)
        for rel, text in FIXTURE.items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)

    def tearDown(self) -> None:
        self.dir.cleanup()

    def run_check(self) -> tuple[int, str]:
        import io

        buf = io.StringIO()
        rc = check(self.root, self.root / ".ci/layers.toml", out=buf)
        return rc, buf.getvalue()

    def test_finds_the_circles_and_the_layer_violation(self) -> None:
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("import circle of 2 modules: mid, nested", out)
        self.assertIn("mid -> nested -> mid", out)
        self.assertIn("nested -> mid: nested::x names mid (a/src/nested/x.rs:1)", out)
        self.assertIn("import circle of 2 modules: low, top", out)
        self.assertIn("import circle of 2 modules: p, q", out)
        self.assertIn("`low` (services) imports `top` (edge), a higher layer  (a/src/low.rs:2)", out)
        # Test modules, comments, strings and downward imports are not findings.
        self.assertNotIn("tests", out)
        self.assertNotIn("gone", out)
        self.assertNotIn("`top` (edge) imports", out)
        self.assertEqual(out.count("import circle"), 3)
        self.assertEqual(out.count("a higher layer"), 1)

    def test_clean_once_broken(self) -> None:
        (self.root / "a/src/nested/x.rs").write_text("pub fn run() {}\n")
        (self.root / "a/src/low.rs").write_text("pub fn g() {}\n")
        (self.root / "b/c/src/p/mod.rs").write_text("pub fn y() {}\n")
        rc, out = self.run_check()
        self.assertEqual((rc, out), (0, ""))

    def test_unlisted_top_level_module_fails(self) -> None:
        (self.root / "a/src/nested/x.rs").write_text("pub fn run() {}\n")
        (self.root / "a/src/low.rs").write_text("pub fn g() {}\n")
        (self.root / "b/c/src/p/mod.rs").write_text("pub fn y() {}\n")
        (self.root / "a/src/lib.rs").write_text("pub mod top;\nmod low;\nmod mid;\nmod nested;\nmod extra {}\n")
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("module `extra` is in no layer", out)

    def test_use_trees(self) -> None:
        self.assertEqual(
            expand_use_tree("crate::{a::B, c::{self, D as E}, f::*}"),
            [["crate", "a", "B"], ["crate", "c"], ["crate", "c", "D"], ["crate", "f"]],
        )

    def test_stripping(self) -> None:
        src = 'let s = r#"crate::x"#; let c = \'"\'; /* crate::y /* nested */ */ fn f<\'a>() { crate::z }'
        stripped = strip_rust(src)
        self.assertNotIn("crate::x", stripped)
        self.assertNotIn("crate::y", stripped)
        self.assertIn("crate::z", stripped)
        self.assertEqual(len(stripped), len(src))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    ap.add_argument("--root", type=Path, default=here.parent)
    ap.add_argument("--layers", type=Path, default=here / "layers.toml")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list every import between modules")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(SelfTest)
        return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1
    os.chdir(args.root)
    return check(args.root.resolve(), args.layers.resolve(), args.verbose)


if __name__ == "__main__":
    sys.exit(main())
