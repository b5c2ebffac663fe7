"""Files the package ships besides its code: paper configurations, JSON schemas and the index
template, Kibana saved objects, the sample issues and the DAG files.

In an installed wheel they are package data under ``pipeline/_data/<kind>`` (pyproject.toml maps
the checkout's top-level folders there), found through ``importlib.resources``; in a source
checkout (an editable install) they are the top-level folders themselves.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

#: the source checkout this module sits in (meaningful for developer tooling only: golden sets,
#: test tools; an installed wheel has none)
CHECKOUT = Path(__file__).resolve().parent.parent

Kind = Literal["schemas", "papers", "kibana", "samples", "dags"]


def data_dir(kind: Kind) -> Path:
    """The folder of one kind of shipped file."""
    packaged = resources.files("pipeline") / "_data" / kind
    if packaged.is_dir():
        return Path(str(packaged))  # a wheel installs into a folder (zip imports are not supported)
    return CHECKOUT / kind
