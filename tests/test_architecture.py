"""The layout in docs/ARCHITECTURE.md holds: no import cycles between packages, no
import of another package's private names, and the core below everything."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "governance"


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports() -> list[tuple[Path, str, list[str]]]:
    found = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("governance."):
                found.append((path, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(path, a.name, []) for a in node.names if a.name.startswith("governance.")]
    return found


def own_package(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[0].removesuffix(".py")


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path, module, _ in imports():
        source, target = own_package(path), package_of(module)
        if source != target:
            edges[source].add(target)
    return edges


def test_no_import_cycle_between_packages() -> None:
    edges = graph()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(p for p in edges if reaches(p, p, {p}))
    assert cycles == [], f"packages in an import cycle: {cycles}"


def test_no_module_imports_another_packages_private_names() -> None:
    private = [f"{path.relative_to(ROOT)} imports {name} from {module}"
               for path, module, names in imports() for name in names
               if name.startswith("_") and package_of(module) != own_package(path)]
    assert private == []


def test_the_core_and_shared_layers_import_no_capability() -> None:
    capabilities = {"gate", "sentinel", "lineage", "console", "stack", "demo", "cli"}
    edges = graph()
    for low in ("avro", "kafka", "yamldoc", "errors"):
        assert not edges.get(low, set()) & capabilities, low
    client_imports = {package_of(m) + ":" + m for p, m, _ in imports() if p == ROOT / "registry" / "client.py"}
    assert client_imports <= {"errors:governance.errors"}, "the registry client stands alone"
