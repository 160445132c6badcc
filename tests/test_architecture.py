"""The import graph keeps the pipeline's direction (docs/architecture.md): a package imports only from its own
layer's packages listed as allowed and from layers below it, never from the CLI or any stage above it. Imports
under TYPE_CHECKING count too: a type that points up is a dependency that points up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fleetcompat

PACKAGE = Path(fleetcompat.__file__).resolve().parent

# Lowest first. A module may import its own package and any package of a lower layer; the base utilities (layer
# 0) may also import each other.
LAYERS = [
    {"errors", "limits", "files", "yamlsrc", "oci_platform", "catalog", "hostfeatures", "progress", "__init__"},
    {"features", "spec"},
    {"results"},  # the result models: what the engine produces and what the renderers read
    {"engine"},
    {"registry", "remote", "waivers", "history", "drift", "merge"},
    {"_format"},  # renderers: results (and drift) in, text out
    {"fleet"},  # the orchestrator: resolve images -> evaluate the fleet -> build the result -> write reports
    {"planning", "authoring"},
    {"cli"},
    {"__main__"},
]
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "fleetcompat":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def _modules() -> list[Path]:
    # The gatherer (hostfeatures, a link into the collection) is stdlib-only and checked by its own tests.
    return sorted(p for p in PACKAGE.rglob("*.py") if "hostfeatures" not in p.relative_to(PACKAGE).parts)


def test_every_package_has_a_layer():
    packages = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _modules()}
    assert packages - set(LAYER) == set()


def test_no_import_runs_up_the_pipeline():
    upward = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        own = rel.parts[0].removesuffix(".py")
        for line, module in _imports(path):
            target = _package_of(module)
            if target is None or target == own:
                continue
            if LAYER[target] > LAYER[own] or (LAYER[target] == LAYER[own] != 0):
                upward.append(f"{rel}:{line}: {own} (layer {LAYER[own]}) imports {module} (layer {LAYER[target]})")
    assert upward == []


@pytest.mark.parametrize("lower", ["engine", "results", "_format", "registry", "remote", "fleet", "spec",
                                   "features", "drift", "waivers", "history", "merge", "planning", "authoring"])
def test_no_stage_imports_the_cli(lower):
    offenders = [f"{path.relative_to(PACKAGE)}:{line}: {module}"
                 for path in _modules() if path.relative_to(PACKAGE).parts[0].removesuffix(".py") == lower
                 for line, module in _imports(path) if _package_of(module) == "cli"]
    assert offenders == []


def test_argparse_only_in_the_cli():
    offenders = [f"{path.relative_to(PACKAGE)}:{line}" for path in _modules()
                 if path.relative_to(PACKAGE).parts[0] != "cli"
                 for line, module in _imports(path) if module == "argparse"]
    assert offenders == []


def test_collection_plugins_import_no_cli_module():
    plugins = PACKAGE.parents[1] / "collections" / "ansible_collections" / "fleetcompat" / "audit" / "plugins"
    # They load fleetcompat modules by name (fleetcompat_module("results.gate")), so the names are read as text.
    offenders = [f"{path.relative_to(plugins)}" for path in plugins.rglob("*.py")
                 if any(name in path.read_text(encoding="utf-8") for name in ('"cli.', "fleetcompat.cli"))]
    assert offenders == []
