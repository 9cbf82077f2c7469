"""The shape of the house, checked from the code's own imports: arrows point inward, no circles,
and the core never reaches for a camera, a pin, a broker or a web framework."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE = ["hub.events", "hub.log", "hub.rules", "hub.config", "hub.kinds", "hub.sensor_kinds", "hub.pipeline",
        "hub.bus", "hub.chain", "hub.database", "hub.state", "hub.command_queue", "hub.store", "hub.alerts.outbox",
        "hub.alerts.policy", "hub.alerts.messages"]
# Each table has one owner, and only the owner runs SQL on it (issue 10: one owner per table).
TABLE_OWNERS = {"log": "hub.log", "outbox": "hub.alerts.outbox", "deliveries": "hub.alerts.outbox",
                "commands": "hub.command_queue", "state": "hub.state", "accounts": "hub.accounts",
                "recovery_codes": "hub.accounts", "tries": "hub.accounts", "trusted_devices": "hub.accounts", "sessions": "hub.sessions",
                "queue": "hub.satellite", "apscheduler_jobs": "hub.job_store"}
SQL_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE(?: IF NOT EXISTS)?|TRIGGER IF NOT EXISTS \w+ \w+ \w+ ON)"
                       r"\s+(\w+)")
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


def _sql_strings(path: Path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TABLE.search(node.value)]


def test_every_table_is_written_and_read_only_by_its_owner() -> None:
    paths = sorted([*REPO.glob("hub/**/*.py"), *REPO.glob("web/**/*.py"), *REPO.glob("bench/*.py")])
    offenders = []
    for path in paths:
        module = _module_name(path)
        for text in _sql_strings(path):
            for table in SQL_TABLE.findall(text):
                owner = TABLE_OWNERS.get(table)
                if owner is not None and owner != module:
                    offenders.append(f"{module} runs SQL on {table}, which {owner} owns: {text[:60]!r}")
    assert offenders == []


def test_no_raw_execute_outside_the_modules_that_own_a_table() -> None:
    allowed = {*TABLE_OWNERS.values(), "hub.database", "hub.backup"}  # backup copies the whole file
    offenders = []
    for path in sorted([*REPO.glob("hub/**/*.py"), *REPO.glob("web/**/*.py"), *REPO.glob("bench/*.py")]):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "executescript", "executemany") and module not in allowed):
                offenders.append(f"{module}:{node.lineno} calls .{node.func.attr}()")
    assert offenders == []
