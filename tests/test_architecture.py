"""The import structure: no circles, no import from a higher layer, the core never imports a plugin.

Layers, lowest first (a module may import only its own layer and the layers below):

0. plain data and helpers — errors, validation, io, journal, seeding, records, samplesets, store/, protocols,
   schedules, transforms, goodness, fitting, temperature, results
1. the contract — sampler, parameters, hookspecs, registry, capabilities, testing/, futures
2. models/ — memories
3. learning/ — rules, equilibrium propagation, the training loop
4. experiments/, sweeps/
5. cli/ and the package face ``qflow_core/__init__.py``

Imports are read with :mod:`ast` from the source (function-level imports included), so a lazy import inside a
function cannot hide an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "qflow_core"
PLUGINS = ROOT / "plugins"

LAYERS = {
    0: [
        "errors",
        "validation",
        "io",
        "journal",
        "seeding",
        "records",
        "samplesets",
        "dimod_interface",
        "store",
        "protocols",
        "schedules",
        "transforms",
        "goodness",
        "fitting",
        "temperature",
        "results",
    ],
    1: ["sampler", "parameters", "hookspecs", "registry", "capabilities", "testing", "futures"],
    2: ["models"],
    3: ["learning"],
    4: ["experiments", "sweeps"],
    5: ["cli", ""],
}
LAYER_OF = {name: layer for layer, names in LAYERS.items() for name in names}
PLUGIN_PACKAGES = sorted(p.name for p in PLUGINS.iterdir() if (p / "__init__.py").exists())


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "plugins":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def sources(base: Path) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(base.rglob("*.py"))}


MODULES = {**sources(CORE), **sources(PLUGINS)}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import statement of a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            submodules = [n for n in names if f"{node.module}.{n}" in MODULES]
            if len(submodules) < len(names):  # `from package import submodule` does not use the package's face
                found.append((node.module, [n for n in names if n not in submodules]))
            found.extend((f"{node.module}.{n}", []) for n in submodules)
    return found


def core_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        if not name.startswith("qflow_core"):
            continue
        edges[name] = {m for m, _ in imports(path) if m in MODULES and m.startswith("qflow_core") and m != name}
    return edges


def layer(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else ""
    assert key in LAYER_OF, f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}"
    return LAYER_OF[key]


def test_every_core_module_has_a_layer():
    for module in core_edges():
        layer(module)


def test_no_core_module_imports_a_higher_layer():
    upward = [
        f"{a} (layer {layer(a)}) imports {b} (layer {layer(b)})"
        for a, targets in core_edges().items()
        for b in targets
        if layer(b) > layer(a)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circle_in_the_core():
    edges = core_edges()
    # Faces (package __init__) only hand names on; an import of a face by its own submodules is a circle too.
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("qflow_core")))
def test_the_core_never_imports_a_plugin(module):
    plugins = [m for m, _ in imports(MODULES[module]) if m.split(".")[0] in PLUGIN_PACKAGES]
    assert not plugins, f"{module} imports the plugin module(s) {plugins}; ask for a capability instead"


def test_plugins_depend_on_the_core_only():
    crossings = [
        f"{name} imports {m}"
        for name, path in MODULES.items()
        if name.split(".")[0] in PLUGIN_PACKAGES
        for m, _ in imports(path)
        if m.split(".")[0] in PLUGIN_PACKAGES and m.split(".")[0] != name.split(".")[0]
    ]
    assert not crossings, "\n".join(crossings)


def test_no_module_imports_a_private_name_from_another_package():
    def package(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if parts[0] == "qflow_core" else parts[0]

    private = [
        f"{name} imports {n} from {m}"
        for name, path in MODULES.items()
        for m, names in imports(path)
        if m.split(".")[0] in ("qflow_core", *PLUGIN_PACKAGES) and package(m) != package(name)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not private, "\n".join(private)


def test_the_checker_sees_a_planted_upward_import(tmp_path):
    """The layer rule can fail: a models module importing an experiment is reported."""
    planted = tmp_path / "planted.py"
    planted.write_text("from qflow_core.experiments.attention import attention_map\n")
    targets = {m for m, _ in imports(planted) if m in MODULES}
    assert "qflow_core.experiments.attention" in targets
    assert layer("qflow_core.experiments.attention") > layer("qflow_core.models.memory")


MAX_MODULE_LINES = 400


def test_no_module_is_too_large_to_hold_in_ones_head():
    """Every module of the core and of the plugins stays under MAX_MODULE_LINES lines (split by job)."""
    large = [
        f"{name}: {lines} lines"
        for name, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not large, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(large)
