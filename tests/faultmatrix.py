"""One row of docs/fault-matrix.md per fault test: the test audits the index against what was
published and records the row when ``FAULT_MATRIX_ROWS`` names a file (``scripts/fault_matrix.py``
sets it). Whatever the fault, lost and duplicated must be 0: the audit asserts it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from pipeline.config import Settings
from pipeline.indexing import client


def audit(
    settings: Settings,
    fault: str,
    issues: Iterable[str],
    published: Iterable[str],
    dead_lettered: Iterable[str] = (),
    events: int | None = None,
    pages_dead_lettered: int = 0,
    handling: str = "",
) -> dict[str, Any]:
    """``published``: the article ids of the issues' latest runs; ``dead_lettered``: those of them in
    the dead-letter topic; ``events``: article events the broker acknowledged, re-sends included."""
    published, dead = set(published), set(dead_lettered)
    es = client.make_client(settings.es)
    try:
        client.refresh(es, settings.es)
        hits = es.search(
            index=settings.es.alias, query={"terms": {"issue_id": sorted(set(issues))}}, size=10_000, source=False
        )["hits"]["hits"]
    finally:
        es.close()
    in_index = [h["_id"] for h in hits]
    row = {
        "fault": fault,
        "handling": handling,
        "events_acknowledged": events if events is not None else len(published),
        "articles_published": len(published),
        "indexed": len(set(in_index) & published),
        "dead_lettered": len(dead & published),
        "pages_dead_lettered": pages_dead_lettered,
        "lost": len(published - set(in_index) - dead),
        # a second document of one article, or one of an earlier run that should have been removed
        "duplicated": len(in_index) - len(set(in_index)) + len(set(in_index) - published),
    }
    if path := os.environ.get("FAULT_MATRIX_ROWS"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    assert row["lost"] == 0 and row["duplicated"] == 0, row
    return row
