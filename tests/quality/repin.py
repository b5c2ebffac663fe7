"""Raise the floors in baseline.json to the current scores (never lowers one)."""

from __future__ import annotations

import json

from tests.quality.scores import BASELINE, current_scores


def main() -> None:
    floors = json.loads(BASELINE.read_text(encoding="utf-8"))
    scores = current_scores()
    for stage, metrics in floors.items():
        if stage.startswith("_"):
            continue
        for metric, floor in metrics.items():
            metrics[metric] = max(floor, scores[stage][metric])
    BASELINE.write_text(json.dumps(floors, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(floors, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
