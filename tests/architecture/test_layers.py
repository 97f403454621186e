"""The DESIGN table of imports holds: each package imports only the packages below it."""

from __future__ import annotations

import pytest

from tests.architecture.imports import import_graph

# What each package may import of ours, besides itself (DESIGN: the packages, and the one
# direction of their imports).
ALLOWED = {
    "w2s": set(),
    "sandbox": set(),
    "engine": {"w2s", "sandbox"},
    "aar_tui": {"engine", "w2s", "sandbox", "themes"},
}
# A screen or widget sees an engine only through its public view, its schemas and its client.
APP_MAY_IMPORT = {
    "engine.view",
    "engine.events",
    "engine.commands",
    "engine.limits",
    "engine.client",
    "engine.projection",
    "engine.texts",
}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_packages_below_it(graph, package):
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] not in ALLOWED[package] | {package}
    )
    assert not wrong, "\n".join(wrong)


def test_the_app_sees_only_the_engines_public_view(graph):
    # The command line is the composition root and may wire anything; the app may not.
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith("aar_tui.") and not module.startswith("aar_tui.cli")
        for target in targets
        if target.split(".")[0] != "aar_tui" and target not in APP_MAY_IMPORT | {"engine"}
    )
    assert not wrong, "\n".join(wrong)


def test_the_graph_sees_the_imports_it_checks(graph):
    # A walker that found nothing would pass every check above.
    assert "engine.events" in graph["aar_tui.app"] or "engine.view" in graph["aar_tui.app"]
    assert "w2s" in {target.split(".")[0] for target in graph["engine.runtime"]}
