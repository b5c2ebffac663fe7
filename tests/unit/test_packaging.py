"""pyproject.toml lists every package and maps every shipped data folder (a package left out of
the explicit list would be missing from the wheel, and only an installed copy would notice)."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def _setuptools() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["tool"]["setuptools"])


def test_every_code_package_is_listed() -> None:
    listed = {p for p in _setuptools()["packages"] if not p.startswith("pipeline._data.")}  # type: ignore[attr-defined]
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "pipeline").rglob("__init__.py")}
    assert listed == found


def test_every_data_package_maps_a_folder_that_resources_knows() -> None:
    from typing import get_args

    from pipeline.resources import Kind

    mapped = dict(_setuptools()["package-dir"])  # type: ignore[call-overload]
    assert {f"pipeline._data.{k}" for k in get_args(Kind)} == set(mapped)
    assert all((ROOT / folder).is_dir() for folder in mapped.values())
