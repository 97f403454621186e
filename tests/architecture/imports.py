"""The project's own imports, read from the source with `ast`: which module imports which."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("w2s", "sandbox", "engine", "aar_tui")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((REPO / package).rglob("*.py")):
        yield module_name(path), path


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    # A package's __init__ is its own base; a module's base is its package.
    keep = len(base) - node.level + (1 if path.name == "__init__.py" else 0)
    prefix = base[:keep]
    return ".".join(prefix + ([node.module] if node.module else []))


def imports_of(module: str, path: Path) -> set[str]:
    """Every module of ours that `module` names in an import, wherever the import stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path, node)
            # `from engine import forum` names the module engine.forum when it is one.
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in PACKAGES)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, keeping only names that are modules."""
    known = {name: path for package in PACKAGES for name, path in modules(package)}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        graph[name] = {target for target in imports_of(name, path) if target in known} - {name}
    return graph
