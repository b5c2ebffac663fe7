"""Enrichment rules loaded from ``lexicon/*.toml`` (data, versioned with the code)."""

from __future__ import annotations

import csv
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

LEXICON = Path(__file__).with_name("lexicon")


@functools.cache
def load_rules(name: str) -> dict[str, Any]:
    """A lexicon TOML file, parsed once per process (treat the result as read-only)."""
    with (LEXICON / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Division:
    adcode: str
    name: str
    lon: float | None
    lat: float | None

    @property
    def level(self) -> str:
        code = self.adcode
        if code[2:].strip("0") == "":
            return "province"
        if code[4:].strip("0") == "":
            return "city"
        return "county"


_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "特别行政区",
    "自治州",
    "自治县",
    "省",
    "市",
    "县",
    "区",
    "盟",
    "旗",
)


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@functools.cache
def divisions() -> tuple[dict[str, list[Division]], dict[str, Division]]:
    """(name -> divisions, adcode -> division) from cpca's adcodes.csv. Provinces and cities are
    also known by their short names; counties and districts only by their full names."""
    by_name: dict[str, list[Division]] = {}
    by_code: dict[str, Division] = {}
    table = resources.files("cpca").joinpath("resources/adcodes.csv")
    with table.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            div = Division(
                adcode=row["adcode"],
                name=row["name"],
                lon=float(row["longitude"]) if row["longitude"] else None,
                lat=float(row["latitude"]) if row["latitude"] else None,
            )
            by_code[div.adcode] = div
            keys = {div.name}
            if div.level != "county":  # 贵州, 遵义 stand alone; 青山, 东海, 江川 are words, not counties
                keys.add(short_name(div.name))
            for key in keys:
                by_name.setdefault(key, []).append(div)
    for key in by_name:  # provinces before cities before counties for ambiguous short names
        by_name[key].sort(key=lambda d: ("province", "city", "county").index(d.level))
    return by_name, by_code
