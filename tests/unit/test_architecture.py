"""The import contracts of docs/architecture.md, checked over the import graph of ``pipeline/``.

Imports under ``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pipeline"

#: the product's pure core: no client library, no Airflow
PURE = ("models", "errors", "config", "clock", "schemas", "continuations", "text", "segmentation", "enrichment")
#: a third-party library -> the only package of ours that may import it
OWNERS = {"kafka": "publishing", "elasticsearch": "indexing", "elastic_transport": "indexing"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> list[tuple[str, set[str]]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        out.append((".".join(rel.parts), _imports(path)))
    return out


def _top(name: str) -> str:
    return name.split(".")[0]


def test_the_graph_is_read() -> None:
    modules = dict(_modules())
    assert "runner.steps" in modules and any(_top(i) == "kafka" for i in modules["publishing.producer"])


@pytest.mark.parametrize(("library", "owner"), sorted(OWNERS.items()))
def test_only_its_wire_package_imports_a_client_library(library: str, owner: str) -> None:
    offenders = [m for m, imports in _modules() if _top(m) != owner and any(_top(i) == library for i in imports)]
    assert offenders == [], f"{library} imported outside pipeline/{owner}/: {offenders}"


#: developer tooling that drives a local Airflow (``dag.test`` for the demo) is the one exception
AIRFLOW_TOOLS = {"airflow_local", "devtools.airflow_local"}


def test_nothing_in_the_package_imports_airflow() -> None:
    offenders = [
        m for m, imports in _modules() if m not in AIRFLOW_TOOLS and any(_top(i) == "airflow" for i in imports)
    ]
    assert offenders == [], f"Airflow is imported below dags/: {offenders}"


def test_the_pure_core_imports_no_wire_runner_or_tool() -> None:
    outer = {"publishing", "indexing", "runner", "cli", "ops", "devtools"}
    offenders = []
    for module, imports in _modules():
        if _top(module) not in PURE:
            continue
        for name in imports:
            parts = name.split(".")
            if (
                parts[0] in OWNERS
                or parts[0] == "airflow"
                or (parts[0] == "pipeline" and len(parts) > 1 and parts[1] in outer)
            ):
                offenders.append(f"{module} -> {name}")
    assert offenders == [], offenders


def test_the_wires_do_not_import_the_runner_or_the_tools() -> None:
    offenders = [
        f"{m} -> {i}"
        for m, imports in _modules()
        if _top(m) in ("publishing", "indexing", "sources")
        for i in imports
        if i.split(".")[:2]
        in (["pipeline", "runner"], ["pipeline", "cli"], ["pipeline", "ops"], ["pipeline", "devtools"])
    ]
    assert offenders == [], offenders
