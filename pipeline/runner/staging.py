"""The staging area: what a run's page tasks hand to its publish task, and each run's summary.

The one owner of the staging format. Per run: ``<root>/<paper>/<YYYY-MM-DD>/<run id>/`` holding
``page-NN.jsonl`` (one enriched article per line), ``page-NN.error.json`` (a failed page: stage and
reason) and ``summary.json`` (the run's ledger row). Writes are atomic (temporary name, then
rename), so a reader sees a page whole or not at all, and a retried page task overwrites its file.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.models import EnrichedArticle

if TYPE_CHECKING:
    from pipeline.config import Settings

_PAGE = re.compile(r"^page-(\d+)\.jsonl$")
_ERROR = re.compile(r"^page-(\d+)\.error\.json$")


def _safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


class RunStaging:
    """One run of one issue in the staging area."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __str__(self) -> str:
        return str(self.folder)

    def clear(self) -> None:
        """Forget what an earlier attempt of this run staged (a re-run starts clean)."""
        if self.folder.exists():
            shutil.rmtree(self.folder)

    def _write(self, name: str, lines: Iterable[str]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line)
        tmp.replace(path)
        return path

    def write_page(self, page: int, articles: Sequence[EnrichedArticle]) -> str:
        """Stage a page's articles; a failure recorded earlier for the page is dropped."""
        path = self._write(f"page-{page:02d}.jsonl", (a.model_dump_json() + "\n" for a in articles))
        (self.folder / f"page-{page:02d}.error.json").unlink(missing_ok=True)
        return str(path)

    def write_page_error(self, page: int, stage: str, error: str) -> None:
        self._write(f"page-{page:02d}.error.json",
                    [json.dumps({"page": page, "stage": stage, "error": error}, ensure_ascii=False)])

    def page_error(self, page: int) -> dict[str, Any] | None:
        """The failure recorded for a page (``stage``, ``error``), or None."""
        try:
            return dict(json.loads((self.folder / f"page-{page:02d}.error.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def _numbers(self, pattern: re.Pattern[str]) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := pattern.match(p.name)))

    def pages_ok(self) -> list[int]:
        return self._numbers(_PAGE)

    def pages_failed(self) -> list[int]:
        return self._numbers(_ERROR)

    def articles(self) -> Iterator[EnrichedArticle]:
        """The staged articles, page by page."""
        for page in self.pages_ok():
            with (self.folder / f"page-{page:02d}.jsonl").open(encoding="utf-8") as fh:
                yield from (EnrichedArticle.model_validate_json(line) for line in fh if line.strip())

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._write("summary.json", [json.dumps(summary, ensure_ascii=False, indent=1)])

    def summary(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads((self.folder / "summary.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None


class Staging:
    """The staging area under ``root`` (``Settings.staging_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, paper: str, issue_date: date, run_id: str) -> RunStaging:
        return RunStaging(self.root / paper / issue_date.isoformat() / _safe(run_id))

    def summaries(self, paper: str | None = None, issue_date: str | None = None) -> list[dict[str, Any]]:
        """Every run's summary (``_mtime``: when it was written), oldest issue first, then oldest run."""
        rows = []
        for path in self.root.glob(f"{paper or '*'}/{issue_date or '*'}/*/summary.json"):
            row = json.loads(path.read_text(encoding="utf-8"))
            row["_mtime"] = path.stat().st_mtime
            rows.append(row)
        rows.sort(key=lambda r: (r["issue_id"], r["_mtime"]))
        return rows


def run_staging(settings: Settings, paper: str, issue_date: date, run_id: str) -> RunStaging:
    """The staging of one run under the configured staging area."""
    return Staging(settings.staging_dir).run(paper, issue_date, run_id)
