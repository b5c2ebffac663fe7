"""The scored segmenter's linear model: actions, per-action weights (``weights.json``, fitted by
``training.py``) and the precomputed tables the decoder scores candidates from."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

import numpy as np

from pipeline.segmentation.evidence import (
    UNIT_REALS,
    Feats,
    UnitKeys,
    context_indicators,
    next_indicators,
    own_indicators,
)
from pipeline.segmentation.segmenter import _Art

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
ACTIONS = ("new_title", "new_body", "title", "sub", "pnew", "pjoin", "banner")
_ART_ACTIONS = ("title", "sub", "pnew", "pjoin")
RULE_KINDS = ("guide_header", "marker", "caption", "editor")


_ACTION_ROW = {a: n for n, a in enumerate(ACTIONS)}
_ART_ROW = {a: n for n, a in enumerate(_ART_ACTIONS)}
# the real-valued features of a unit-article pair (the rest are indicators, see ``pair_indicators``)
PAIR_REALS = (
    "gain",
    "lm",
    "nx_gain",
    "nx_lm",
    "affinity",
    "aff_share",
    "nx_aff",
    "nx_aff_share",
    "later_better",
    "nx_later_better",
)
# title lines skipped to find the paragraph a title-like line heads: 0 (measured: 2 raised article F1
# on held-out text, 0.901 -> 0.911, but let late decks become banners, block F1 0.902 -> 0.893)
TITLE_HOPS = 0
LOOKAHEAD = 6  # paragraphs after a unit searched for a better continuation of a cut paragraph
# a pair's indicators as a tuple: what ``Model.pair_scores`` memoises
PairKey = tuple[
    str,
    str,
    bool,
    int,
    str,
    bool,
    bool,
    str,
    bool,
    bool,
    bool,
    bool,
    bool,
    bool,
    bool,
    str | None,
    str | None,
    str | None,
]


def pair_indicators(key: PairKey) -> Feats:
    """The indicator features of a unit-article pair, from its key."""
    (
        dist,
        prev,
        same,
        others_cut,
        kind,
        cut,
        cur,
        start,
        latest,
        han_han,
        nx_cont,
        fresh,
        aff_top,
        nx_top,
        nx_zero,
        join_pos,
        nx_frag,
        cont,
    ) = key
    c = int(cut)
    f: Feats = {
        f"dist:{dist}": 1.0,
        f"prev:{prev}:{'same' if same else 'other'}": 1.0,
        f"others_cut:{others_cut}": 1.0,
        f"u:{kind}&cut:{c}&cur:{int(cur)}": 1.0,
        f"start:{start}&cut:{c}": 1.0,
    }
    if cont is not None:  # where the article's cut paragraph continues best: right after this line, or further on
        f[f"cont:{cont}"] = 1.0
    if nx_frag is not None:  # the paragraph after this line starts mid-sentence: whose cut does it continue?
        f[f"nxfrag:{nx_frag}"] = 1.0
    if join_pos is not None:  # the words that meet at the cut: 主席周青禾 ‖ 表示 (nr>v) reads on
        f[f"joinpos:{join_pos}"] = 1.0
    for name, on in (
        ("is_cur", cur),
        ("is_latest", latest),
        ("han_han", han_han),
        ("nx_cont", nx_cont),
        ("fresh_title", fresh),
        ("aff_top", aff_top),
        ("nx_aff_top", nx_top),
        ("nx_aff_zero", nx_zero),
    ):
        if on:
            f[name] = 1.0
    return f


@dataclass
class Candidate:
    """One possible decision about a unit: ``action`` on article ``art`` (None for the actions that
    start something new), with the features of the unit-article pair (shared between actions)."""

    action: str
    art: _Art | None
    art_feats: Feats | None = None  # what changes with the unit
    static: Feats | None = None  # what only changes when the article grows

    def features(self, unit_feats: Feats) -> Feats:
        """All features, named by the action (what the model's weights are keyed by)."""
        feats = {f"{self.action}|{k}": v for k, v in unit_feats.items()}
        for part in (self.art_feats, self.static):
            if part:
                feats.update({f"{self.action}|a:{k}": v for k, v in part.items()})
        return feats


class Model:
    """A linear scorer over action-named features (``new_title|len:12``, ``pjoin|a:gain``)."""

    def __init__(self, weights: dict[str, float], meta: dict[str, Any] | None = None) -> None:
        self.weights = weights
        self.meta = meta or {}
        # per feature, its weight under every action at once: a unit's (or an article's) scores for
        # all actions are one column sum over its features
        unit: dict[str, list[float]] = {}
        art: dict[str, list[float]] = {}
        for key, w in weights.items():
            action, _, name = key.partition("|")
            if name.startswith("a:"):
                if action in _ART_ROW:
                    art.setdefault(name[2:], [0.0] * len(_ART_ACTIONS))[_ART_ROW[action]] = w
            elif action in _ACTION_ROW:
                unit.setdefault(name, [0.0] * len(ACTIONS))[_ACTION_ROW[action]] = w
        self._unit = {k: tuple(v) for k, v in unit.items()}
        self._unit_row = {k: n for n, k in enumerate(self._unit)}
        zeros = (0.0,) * len(ACTIONS)
        self._unit_reals = np.array([self._unit.get(k, zeros) for k in UNIT_REALS], dtype=float)
        self._unit_memo: tuple[dict[Any, tuple[float, ...]], ...] = ({}, {}, {})
        self._art = {k: tuple(v) for k, v in art.items()}
        self._pairs: dict[PairKey, tuple[float, ...]] = {}
        self._statics: dict[tuple[str, ...], tuple[float, ...]] = {}

    def score(self, feats: Feats) -> float:
        w = self.weights
        return sum(w.get(k, 0.0) * v for k, v in feats.items())

    @staticmethod
    def _columns(table: dict[str, tuple[float, ...]], feats: Feats, width: int) -> tuple[float, ...]:
        rows = []
        for k, v in feats.items():
            row = table.get(k)
            if row is not None:
                rows.append(row if v == 1.0 else tuple(x * v for x in row))
        return tuple(map(sum, zip(*rows, strict=True))) if rows else (0.0,) * width

    def unit_scores(self, unit_feats: Feats) -> tuple[float, ...]:
        """The unit's part of every action's score, in ``ACTIONS`` order (once per unit)."""
        return self._columns(self._unit, unit_feats, len(ACTIONS))

    def page_unit_scores(self, page: Sequence[UnitKeys]) -> list[list[float]]:
        """``unit_scores`` of every unit of a page from its keys: each key's indicators are scored
        once per model (memoised), the real values in one product."""
        if not page:
            return []
        memo, table, width, n_units = self._unit_memo, self._unit, len(ACTIONS), len(page)
        groups = ((own_indicators, memo[0]), (next_indicators, memo[1]), (context_indicators, memo[2]))
        parts = []
        for n, (indicators, seen) in enumerate(groups):
            rows = []
            for key in map(itemgetter(n), page):
                row = seen.get(key)
                if row is None:
                    row = seen[key] = self._columns(table, indicators(key), width)  # type: ignore[operator]
                rows.append(row)
            parts.append(np.fromiter(chain.from_iterable(rows), float, n_units * width).reshape(n_units, width))
        reals = np.fromiter(chain.from_iterable(map(itemgetter(3), page)), float, n_units * 4).reshape(n_units, 4)
        total = parts[0] + parts[1] + parts[2] + reals @ self._unit_reals
        return cast("list[list[float]]", total.tolist())

    def static_scores(self, feats: Feats) -> tuple[float, ...]:
        """``art_scores`` of an article's own features (a handful of indicators), memoised."""
        key = tuple(feats)
        found = self._statics.get(key)
        if found is None:
            found = self._statics[key] = self.art_scores(feats)
        return found

    def art_scores(self, feats: Feats) -> tuple[float, ...]:
        """An article's part of the score of each action on it, in ``_ART_ACTIONS`` order."""
        return self._columns(self._art, feats, len(_ART_ACTIONS))

    def pair_scores(self, key: PairKey) -> tuple[float, ...]:
        """The indicators' part of each article action's score; a page has few distinct keys."""
        found = self._pairs.get(key)
        if found is None:
            if len(self._pairs) > 1 << 16:
                self._pairs.clear()
            found = self._pairs[key] = self.art_scores(pair_indicators(key))
        return found

    def choose(self, unit_feats: Feats, cands: list[Candidate]) -> Candidate:
        """The best candidate, each scored from its feature dictionary (training; the reference
        the decoder's fast path is tested against)."""
        best, best_score = cands[0], -math.inf
        for cand in cands:
            score = self.score(cand.features(unit_feats))
            if score > best_score:
                best, best_score = cand, score
        return best

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], data.get("meta"))

    def save(self, path: Path) -> None:
        weights = {k: round(v, 4) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-4}
        data = {"meta": self.meta, "weights": weights}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


@functools.cache
def default_model() -> Model:
    return Model.load()
