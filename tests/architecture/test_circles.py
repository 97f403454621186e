"""No import circle among the modules of `engine`, `sandbox` or `aar_tui`: each module
can be read, and changed, knowing only the modules below it."""

from __future__ import annotations

import pytest

from tests.architecture.imports import import_graph

CHECKED = ("engine", "sandbox", "aar_tui")
# Circles still to be taken apart, each named by the modules it runs through. A circle
# passes only inside one of these; each entry goes once its circle is gone.
NOT_YET_APART: tuple[frozenset[str], ...] = ()


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected parts of `graph` with more than one module (Tarjan's walk,
    kept iterative so that a deep import chain cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph[root])))]
        while work:
            node, targets = work[-1]
            target = next((t for t in targets if t in graph), None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                part = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.add(member)
                    if member == node:
                        break
                if len(part) > 1:
                    found.append(part)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_walk_finds_a_circle_and_only_the_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"f"}}
    assert circles(graph) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", CHECKED)
def test_no_import_circle_in_the_package(graph, package):
    inside = {
        module: {t for t in targets if t.split(".")[0] == package}
        for module, targets in graph.items()
        if module.split(".")[0] == package
    }
    wrong = [
        " -> ".join(sorted(part))
        for part in circles(inside)
        if not any(part <= allowed for allowed in NOT_YET_APART)
    ]
    assert not wrong, "import circles:\n" + "\n".join(wrong)
