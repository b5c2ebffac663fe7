"""Directory source and page decoding: encodings, limits, path tricks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.errors import InvalidPage, SourceNotReady
from pipeline.sources import DirectorySource, decode_page

TEXT = "标题\n\n本报讯 近日,职工参加培训。\n"


def test_decodes_utf8_bom_and_gb18030() -> None:
    assert decode_page(TEXT.encode("utf-8"), "p", 10_000) == (TEXT, "utf-8")
    assert decode_page(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "p", 10_000) == (TEXT, "utf-8")
    assert decode_page(TEXT.encode("gb18030"), "p", 10_000) == (TEXT, "gb18030")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        ("标题".encode("utf-16"), "neither UTF-8 nor GB18030"),
        (bytes(range(1, 32)) * 50, "control characters"),
        (TEXT.encode() * 1000, "above the limit"),
        (TEXT.encode()[:-3] + b"\xe4\xb8", "neither UTF-8 nor GB18030"),
    ],
)
def test_bad_pages_fail_with_a_clear_reason(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidPage, match=reason):
        decode_page(data, "grrb/2026-11-20/02", 10_000)


def _issue(tmp_path: Path, manifest: dict | None = None) -> DirectorySource:
    folder = tmp_path / "grrb" / "2026-11-20"
    folder.mkdir(parents=True)
    (folder / "01.txt").write_text(TEXT, encoding="utf-8")
    (folder / "02.txt").write_text(TEXT, encoding="utf-8")
    if manifest:
        (folder / "issue.json").write_text(json.dumps(manifest), encoding="utf-8")
    return DirectorySource(tmp_path, 10_000)


def test_pages_are_listed_from_files_or_the_manifest(tmp_path: Path) -> None:
    src = _issue(tmp_path)
    issue = src.get_issue("grrb", date(2026, 11, 20))
    assert [p.page for p in issue.pages] == [1, 2]
    assert src.read_page(issue, issue.pages[0]).text == TEXT
    assert src.available_dates("grrb") == [date(2026, 11, 20)]
    with pytest.raises(SourceNotReady):
        src.get_issue("grrb", date(2026, 11, 21))


def test_manifest_file_names_cannot_leave_the_issue_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("nope", encoding="utf-8")
    src = _issue(tmp_path, {"pages": [{"page": 1, "file": "../../../secret.txt"}, {"page": 2, "file": "02.txt"}]})
    issue = src.get_issue("grrb", date(2026, 11, 20))
    with pytest.raises(InvalidPage, match="leaves the issue folder"):
        src.read_page(issue, issue.pages[0])
    assert src.read_page(issue, issue.pages[1]).page == 2
