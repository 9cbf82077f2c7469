"""The shape of the house, checked from the code's own imports: arrows point inward, no circles,
and the core never reaches for a camera, a pin, a broker or a web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE = ["hub.events", "hub.log", "hub.rules", "hub.config", "hub.kinds", "hub.sensor_kinds", "hub.pipeline",
        "hub.bus", "hub.chain"]
HARDWARE_AND_FRAMEWORKS = ("cv2", "gpiozero", "paho", "flask", "face_recognition", "dlib", "numpy", "werkzeug")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module of hub/ and web/, with every module it imports anywhere in its body (lazy imports too).

    ``from web import charts`` imports the module web.charts; ``from hub.config import Config`` imports hub.config.
    """
    paths = sorted([*REPO.glob("hub/**/*.py"), *REPO.glob("web/**/*.py")])
    modules = {_module_name(path) for path in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
                found.update(submodules or {node.module})
        graph[_module_name(path)] = found
    return graph


GRAPH = _imports()


def _local(targets: set[str]) -> set[str]:
    return {t for t in targets if t in GRAPH}


def test_nothing_in_hub_imports_web() -> None:
    offenders = sorted(f"{m} imports {t}" for m, targets in GRAPH.items() if m.split(".")[0] == "hub"
                       for t in targets if t.split(".")[0] == "web")
    assert offenders == []


def test_no_two_modules_import_each_other_even_through_others() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in _local(GRAPH[node]) - {node}:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert circles == []


@pytest.mark.parametrize("core", CORE)
def test_the_core_imports_no_hardware_broker_or_web_library(core: str) -> None:
    reached, todo = set(), [core]
    while todo:
        module = todo.pop()
        if module in reached:
            continue
        reached.add(module)
        todo.extend(_local(GRAPH[module]))
    outside = sorted(f"{m} imports {t}" for m in reached for t in GRAPH[m]
                     if t.split(".")[0] in HARDWARE_AND_FRAMEWORKS)
    assert outside == []
