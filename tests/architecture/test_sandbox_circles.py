"""No module of `sandbox` imports, through any chain of imports, a module that imports it back."""

from __future__ import annotations

from tests.architecture.imports import import_graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected parts of more than one module (Tarjan's walk)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            part = [stack.pop()]
            while part[-1] != module:
                part.append(stack.pop())
            if len(part) > 1:
                found.append(sorted(part))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_the_sandbox_package_has_no_import_circle():
    graph = import_graph()
    sandbox = {m: {t for t in ts if t.split(".")[0] == "sandbox"} for m, ts in graph.items()}
    wrong = [part for part in circles(sandbox) if part[0].split(".")[0] == "sandbox"]
    assert not wrong, wrong


def test_a_circle_is_found_where_there_is_one():
    # A finder that saw no circle anywhere would pass the test above.
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
