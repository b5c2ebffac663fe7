"""Directory drop: ``<root>/<paper>/<YYYY-MM-DD>/NN.txt`` plus an optional ``issue.json``.

``issue.json``: ``{"pages": [{"page": 1, "file": "01.txt", "name": "要闻", "section": "要闻"}, …]}``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from pipeline.errors import ConfigError, InvalidPage, SourceNotReady
from pipeline.models import Issue, PageRef, PageText
from pipeline.sources.decoding import decode_page

_PAGE_FILE = re.compile(r"^(\d{1,3})\.txt$")


class DirectorySource:
    def __init__(self, root: Path, max_page_bytes: int) -> None:
        self.root = root
        self.max_page_bytes = max_page_bytes

    def issue_dir(self, paper: str, issue_date: date) -> Path:
        return self.root / paper / issue_date.isoformat()

    def where(self, paper: str, issue_date: date) -> str:
        return str(self.issue_dir(paper, issue_date))

    def available_dates(self, paper: str) -> list[date]:
        base = self.root / paper
        if not base.is_dir():
            return []
        out = []
        for child in sorted(base.iterdir()):
            try:
                out.append(date.fromisoformat(child.name))
            except ValueError:
                continue
        return out

    def is_ready(self, paper: str, issue_date: date) -> bool:
        folder = self.issue_dir(paper, issue_date)
        return folder.is_dir() and any(_PAGE_FILE.match(p.name) for p in folder.iterdir())

    def get_issue(self, paper: str, issue_date: date) -> Issue:
        folder = self.issue_dir(paper, issue_date)
        if not self.is_ready(paper, issue_date):
            raise SourceNotReady(f"no pages yet in {folder}")
        manifest = folder / "issue.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                pages = [PageRef.model_validate(p) for p in data["pages"]]
            except (ValueError, KeyError) as exc:
                raise ConfigError(f"{manifest}: {exc}") from exc
        else:
            pages = []
            for path in sorted(folder.iterdir()):
                m = _PAGE_FILE.match(path.name)
                if m:
                    pages.append(PageRef(page=int(m.group(1)), file=path.name))
        return Issue(paper=paper, issue_date=issue_date, pages=sorted(pages, key=lambda p: p.page))

    def read_page(self, issue: Issue, ref: PageRef) -> PageText:
        label = f"{issue.paper}/{issue.issue_date}/{ref.page:02d}"
        folder = self.issue_dir(issue.paper, issue.issue_date).resolve()
        path = (folder / ref.file).resolve()
        if path.parent != folder:
            raise InvalidPage(label, f"file name {ref.file!r} leaves the issue folder")
        if not path.is_file():
            raise InvalidPage(label, f"missing file {ref.file}")
        text, encoding = decode_page(path.read_bytes(), label, self.max_page_bytes)
        return PageText.of(issue, ref, text, str(path), encoding)

    def read_raw(self, issue: Issue, ref: PageRef, limit: int) -> tuple[bytes, int] | None:
        """The first ``limit`` bytes of the page and its whole size, for a dead letter (None when
        unreadable or outside the folder). Reads no more than it returns: the page may be huge."""
        folder = self.issue_dir(issue.paper, issue.issue_date).resolve()
        path = (folder / ref.file).resolve()
        if path.parent != folder or not path.is_file():
            return None
        with path.open("rb") as fh:
            return fh.read(limit), path.stat().st_size
