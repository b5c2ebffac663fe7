"""samples/src/<paper>/<date>/NN.page -> samples/issues/<paper>/<date>/NN.txt + issue.json."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import PROJECT_ROOT
from pipeline.evaluation.golden import render_file

SRC = PROJECT_ROOT / "samples" / "src"
OUT = PROJECT_ROOT / "samples" / "issues"


def build_samples(src: Path = SRC, out: Path = OUT, check: bool = False) -> list[str]:
    """Write (or with ``check`` only compare) the rendered sample issues; returns changed files."""
    changed: list[str] = []
    for issue_dir in sorted(p for p in src.glob("*/*") if p.is_dir()):
        target = out / issue_dir.relative_to(src)
        pages = []
        files: dict[Path, str] = {}
        for page_file in sorted(issue_dir.glob("*.page")):
            page = render_file(page_file)
            name = f"{page_file.stem}.txt"
            files[target / name] = page.text
            pages.append(
                {
                    "page": int(page_file.stem),
                    "file": name,
                    "name": page.meta.get("name"),
                    "section": page.meta.get("section"),
                }
            )
        files[target / "issue.json"] = json.dumps({"pages": pages}, ensure_ascii=False, indent=1) + "\n"
        for path, content in files.items():
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current != content:
                changed.append(str(path.relative_to(out)))
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(content, encoding="utf-8")
    return changed
