"""The layout in docs/ARCHITECTURE.md holds. Its "may import" table is read from the
markdown itself, so the document and this test cannot drift: every module of governance/
belongs to a row, and imports from another row only what its row names. Besides: no import
cycle between packages, no import of another package's private names, no capability
importing the gate, and no module over 500 lines.

A row's first cell names it (`sentinel/`, `registry/client.py`, `cli.py` or `cli/` alike);
a module belongs to the row with the longest name that contains it. The third cell lists
what it may import, backticked (`registry.client`, `gate.inputs`: a package or one of its
modules), or says `everything` (any row) or `everything below it` (the rows above it in
the table). A row may import what those may import, the layers below, and always itself.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "governance"
DOC = REPO / "docs" / "ARCHITECTURE.md"
MAX_LINES = 500
# The package's own plumbing: its version (__init__.py) and `python -m governance` (__main__.py).
PLUMBING = {"", "__main__"}
CAPABILITIES_WITHOUT_GATE = ("sentinel", "registry", "lineage", "console", "stack")
EVERYTHING = "*"
MODULE = r"`([\w./]+)`"  # a backticked module or package (not a command line like `governance --help`)


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    source: str  # the importing module, dotted below governance: "lineage.health"
    target: str  # the imported module: "sentinel.kpi"
    names: tuple[str, ...]
    text: str  # the import as written

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}: {self.text}"


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file() or base.is_dir()


def imports() -> list[Import]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        source = module_of(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: resolve it against the importing module's package
                    package = source.split(".")[: len(source.split(".")) - node.level + (path.name == "__init__.py")]
                    module = "governance." + ".".join([*package, *filter(None, [module])])
                if module != "governance" and not module.startswith("governance."):
                    continue
                base = module.removeprefix("governance").removeprefix(".")
                text = f"from {'.' * node.level}{node.module or ''} import {', '.join(a.name for a in node.names)}"
                by_target: dict[str, list[str]] = defaultdict(list)
                for alias in node.names:  # `from governance.sentinel import headers` imports sentinel.headers
                    submodule = f"{base}.{alias.name}".lstrip(".")
                    by_target[submodule if is_module(submodule) else base].append(alias.name)
                found += [Import(path, node.lineno, source, target, tuple(names), text)
                          for target, names in by_target.items()]
            elif isinstance(node, ast.Import):
                found += [Import(path, node.lineno, source, a.name.removeprefix("governance."), (), f"import {a.name}")
                          for a in node.names if a.name.startswith("governance.")]
    return sorted(found, key=lambda imp: (imp.path, imp.line))


def normalize(name: str) -> str:
    """`registry/client.py` -> registry.client, `cli/` and `cli.py` -> cli."""
    return name.strip().rstrip("/").removesuffix(".py").replace("/", ".")


def table() -> dict[str, set[str]]:
    """Each row of the "may import" table: its name and what it names (EVERYTHING: anything)."""
    lines = DOC.read_text().splitlines()
    header = next(i for i, line in enumerate(lines)
                  if [c.strip().lower() for c in line.strip().strip("|").split("|")] == ["package", "owns", "may import"])
    rows: dict[str, set[str]] = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 3, f"docs/ARCHITECTURE.md: a table row without three cells: {line}"
        names = [normalize(n) for n in re.findall(MODULE, cells[0])]
        assert names, f"docs/ARCHITECTURE.md: a table row that names no package: {line}"
        may = {normalize(n) for n in re.findall(MODULE, cells[2])}
        if "everything below it" in cells[2]:
            may |= set(rows)
        elif "everything" in cells[2]:
            may.add(EVERYTHING)
        for name in names:
            rows[name] = may
    return rows


def may_import() -> dict[str, set[str]]:
    """Each row and what it may import: what it names, and what those may import."""
    rows = {name: set(may) for name, may in table().items()}
    changed = True
    while changed:  # what a row may import, it may import through: the layers below
        changed = False
        for may in rows.values():
            below = set().union(*(rows[r] for a in may if (r := row_of(a, rows)) is not None)) - may
            if below:
                may |= below
                changed = True
    return rows


def row_of(module: str, rows: dict[str, set[str]]) -> str | None:
    owners = [r for r in rows if module == r or module.startswith(r + ".")]
    return max(owners, key=len) if owners else None


def covered(target: str, allowed: set[str]) -> bool:
    return EVERYTHING in allowed or any(target == a or target.startswith(a + ".") for a in allowed)


def package_of(module: str) -> str:
    """The top-level package or module: `cli` for cli.py and for cli/ alike."""
    return module.split(".")[0]


def test_the_table_names_every_module_and_only_modules_that_exist() -> None:
    rows = table()
    missing = sorted(f"{p.relative_to(REPO)}" for p in ROOT.rglob("*.py")
                     if module_of(p) not in PLUMBING and row_of(module_of(p), rows) is None)
    assert missing == [], f"modules with no row in {DOC.relative_to(REPO)}'s may-import table: {missing}"
    stale = sorted({name for name, may in rows.items() for name in (name, *may) if name != EVERYTHING and not is_module(name)})
    assert stale == [], f"{DOC.relative_to(REPO)}'s may-import table names what is not in governance/: {stale}"


def test_every_import_is_allowed_by_its_row_in_the_table() -> None:
    rows = may_import()
    refused = []
    for imp in imports():
        own, theirs = row_of(imp.source, rows), row_of(imp.target, rows)
        if imp.source in PLUMBING or imp.target in PLUMBING or own is None or own == theirs:
            continue
        if not covered(imp.target, rows[own]):
            refused.append(f"{imp}  (`{own}` may not import `{imp.target}`)")
    assert refused == [], (f"imports that {DOC.relative_to(REPO)}'s may-import table does not allow "
                           "(change the code, or the table and say why):\n" + "\n".join(refused))


def test_no_capability_imports_the_gate() -> None:
    """The gate is a client of the others: the workspace it reads (schemas/, subjects.yml) is not its own."""
    offending = [str(imp) for imp in imports()
                 if package_of(imp.source) in CAPABILITIES_WITHOUT_GATE and package_of(imp.target) == "gate"]
    allowed = [f"the `{name}` row allows `{may}`" for name, mays in table().items()
               if package_of(name) in CAPABILITIES_WITHOUT_GATE for may in sorted(mays)
               if may == EVERYTHING or package_of(may) == "gate"]
    assert offending + allowed == [], "the gate imported by a capability:\n" + "\n".join(offending + allowed)


def test_no_module_in_governance_is_over_500_lines() -> None:
    long = [f"{p.relative_to(REPO)}: {n} lines" for p in sorted(ROOT.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert long == [], f"modules over {MAX_LINES} lines (split them by job):\n" + "\n".join(long)


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp in imports():
        source, target = package_of(imp.source), package_of(imp.target)
        if source != target and imp.source not in PLUMBING and imp.target not in PLUMBING:
            edges[source].setdefault(target, imp)

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(edges.get(node, {})):
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = {tuple(sorted(c[:-1])): c for p in sorted(edges) if (c := cycle_from(p))}
    described = [" -> ".join(c) + "".join(f"\n    {edges[a][b]}" for a, b in zip(c, c[1:])) for c in cycles.values()]
    assert described == [], "packages in an import cycle (one import along each edge):\n" + "\n".join(described)


def test_no_module_imports_another_packages_private_names() -> None:
    private = [f"{imp}  (`{name}`)" for imp in imports() for name in imp.names
               if name.startswith("_") and not name.endswith("__")
               and package_of(imp.target) != package_of(imp.source)]
    assert private == [], "private names imported across packages:\n" + "\n".join(private)


def test_the_core_and_shared_layers_import_no_capability() -> None:
    capabilities = {"gate", "sentinel", "lineage", "console", "stack", "demo", "cli"}
    low = ("avro", "kafka", "yamldoc", "errors")
    upward = [f"{imp}" for imp in imports()
              if package_of(imp.source) in low and package_of(imp.target) in capabilities]
    assert upward == [], "the core and shared layers import a capability:\n" + "\n".join(upward)
    client = [f"{imp}" for imp in imports() if imp.source == "registry.client" and imp.target != "errors"]
    assert client == [], "the registry client stands alone (it imports governance.errors only):\n" + "\n".join(client)
