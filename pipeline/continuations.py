"""Articles continued on another page (下转第3版 … 上接第1版) joined into one article per issue.

The segmenter sees one page at a time and records the jump markers on each part
(``Article.continued_to`` / ``continued_from``). Once every page of an issue is segmented, each
part with ``continued_to = N`` is paired with a part on page N that has ``continued_from`` = its
page. When page N holds several such parts, the evidence decides, strongest first: a repeated
title that matches one of the first part's title decks, then the lexical overlap of the two texts
(character bigrams, weighted by how few of the page's candidate parts share them), then the order
on the page. The text evidence is one weighted score (``segmentation/jumps.toml``) of the lexical
overlap and of how the continuation's first words meet a paragraph the first part left
mid-sentence (punctuation, a word cut at the jump, a paragraph opener). The weights are chosen on
generated jump pages by ``scripts/fit_continuations.py fit``: a logit fitted on the cut features
paired fewer jumps right than the overlap alone on the fit split, so today the overlap alone
decides. Pairs chain (1 → 3 → 5). A marker whose other part is not found stays on its article as
it is, and is counted.

Pure: no I/O; re-enrichment of a joined article is the caller's function.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.models import Article, ArticlePart, Byline, EnrichedArticle, Subhead
from pipeline.segmentation import DEFAULT_RULES
from pipeline.segmentation.units import ends_sentence, word_crosses_cut

_WORD = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]")
WEIGHTS_FILE = Path(__file__).resolve().parent / "segmentation" / "jumps.toml"
#: a repeated title this similar (Dice coefficient of character bigrams) to a title deck matches it
TITLE_MATCH = 0.6
#: a shorter title contained in the other matches when it has at least this many characters
TITLE_MIN_CONTAINED = 4

Ref = tuple[int, int]
"""(page, index of the part among the parts given for that page)."""


@dataclass
class Pairing:
    """Which part continues which: ``links[first] = continuation``; ``unpaired``: parts whose marker
    (``continued_to``, ``continued_from`` or both) found no partner."""

    links: dict[Ref, Ref] = field(default_factory=dict)
    unpaired_to: list[Ref] = field(default_factory=list)
    unpaired_from: list[Ref] = field(default_factory=list)

    @property
    def unpaired(self) -> int:
        return len(self.unpaired_to) + len(self.unpaired_from)


@dataclass
class JoinReport:
    joined: int = 0
    """articles made of parts printed on more than one page"""
    unpaired: int = 0
    """jump markers (下转 or 上接) whose other part was not found; those parts stay as they are"""
    unpaired_ids: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ evidence


def _norm(text: str | None) -> str:
    return "".join(_WORD.findall(text or ""))


def _bigrams(text: str) -> set[str]:
    chars = _norm(text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def title_similarity(first: Article, cont: Article) -> float | None:
    """How well the continuation's repeated title matches one of the first part's title decks
    (1.0 = the same words), or None when the continuation repeats no title."""
    repeated = [_norm(d) for d in (cont.kicker, cont.headline, cont.subheadline) if _norm(d)]
    if not repeated:
        return None
    decks = [_norm(d) for d in (first.kicker, first.headline, first.subheadline) if _norm(d)]
    if first.kicker and first.headline:
        decks.append(_norm(first.kicker) + _norm(first.headline))
    best = 0.0
    for r in repeated:
        for d in decks:
            short, long_ = sorted((r, d), key=len)
            if r == d or (len(short) >= TITLE_MIN_CONTAINED and short in long_):
                return 1.0
            a, b = _bigrams(r), _bigrams(d)
            if a and b:
                best = max(best, 2 * len(a & b) / (len(a) + len(b)))
    return best


def _body(article: Article) -> str:
    return "\n".join(article.paragraphs)


def lexical_overlap(first: Article, candidates: Sequence[Article]) -> list[float]:
    """For each candidate: the share of its bigram weight that it shares with ``first``'s text.
    A bigram's weight is log((1 + n) / (1 + df)) over the n candidates: words every candidate
    has (工会, 职工) say nothing about which one continues this article."""
    grams = [_bigrams(_body(c)) for c in candidates]
    df = Counter(g for gs in grams for g in gs)
    n = len(candidates)
    own = _bigrams(_body(first) + "\n" + (first.headline or ""))
    out = []
    for gs in grams:
        weight = {g: math.log((1 + n) / (1 + df[g])) for g in gs}
        total = sum(weight.values())
        out.append(sum(w for g, w in weight.items() if g in own) / total if total > 0 else 0.0)
    return out


FEATURES = ("overlap", "cut_punct_start", "cut_word_across", "cut_opener", "cut_plain", "whole_punct_start")


def text_features(first: Article, cont: Article, overlap: float) -> dict[str, float]:
    """Evidence from the texts that ``cont`` continues ``first`` (names in :data:`FEATURES`):
    the overlap, and at the jump, when the first part stops mid-sentence, whether the continuation
    starts with punctuation, finishes a word cut there, opens like a new paragraph or none of these;
    when the first part ends a sentence, whether the continuation starts with punctuation anyway."""
    last = first.paragraphs[-1] if first.paragraphs else ""
    head = cont.paragraphs[0] if cont.paragraphs else ""
    rules = DEFAULT_RULES
    punct = bool(head) and head[0] in rules.continuation_starts
    cut = bool(last) and bool(head) and not ends_sentence(last, rules)
    across = cut and not punct and word_crosses_cut(last, head)
    opener = cut and not punct and not across and head.startswith(tuple(rules.paragraph_openers))
    return {
        "overlap": overlap,
        "cut_punct_start": float(cut and punct),
        "cut_word_across": float(across),
        "cut_opener": float(opener),
        "cut_plain": float(cut and not (punct or across or opener)),
        "whole_punct_start": float(not cut and punct),
    }


@functools.cache
def weights() -> dict[str, float]:
    """The fitted weight of each text feature (``segmentation/jumps.toml``)."""
    with WEIGHTS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    return {k: float(data["weights"].get(k, 0.0)) for k in FEATURES}


def text_score(features: dict[str, float]) -> float:
    w = weights()
    return sum(w[k] * v for k, v in features.items())


# ------------------------------------------------------------------------------ pairing


def pair_parts(pages: dict[int, Sequence[Article]]) -> Pairing:
    """Pair every ``continued_to = N`` part with a ``continued_from`` part on page N (see the
    module docstring for the order of evidence); one partner per part, greedily by evidence."""
    pairing = Pairing()
    taken_first: set[Ref] = set()
    taken_cont: set[Ref] = set()
    groups: dict[tuple[int, int], list[Ref]] = {}
    for page in sorted(pages):
        for i, art in enumerate(pages[page]):
            if art.continued_to is not None and art.continued_to != page:
                groups.setdefault((page, art.continued_to), []).append((page, i))
    for (page, target), firsts in groups.items():
        conts = [(target, j) for j, a in enumerate(pages.get(target, ())) if a.continued_from == page]
        if not conts:
            continue
        cont_arts = [pages[target][j] for _, j in conts]
        scored = []
        for fi, ref in enumerate(firsts):
            first = pages[ref[0]][ref[1]]
            overlap = lexical_overlap(first, cont_arts)
            for ci, cont in enumerate(cont_arts):
                sim = title_similarity(first, cont)
                # a matching repeated title first; a title that does not match says nothing (it is
                # as often another article's title or a section head the segmenter took for one)
                title_rank = int(sim is not None and sim >= TITLE_MATCH)
                score = text_score(text_features(first, cont, overlap[ci]))
                scored.append(((-title_rank, -score, fi, ci), firsts[fi], conts[ci]))
        for _, f, c in sorted(scored):
            if f not in taken_first and c not in taken_cont:
                pairing.links[f] = c
                taken_first.add(f)
                taken_cont.add(c)
    for page in sorted(pages):
        for i, art in enumerate(pages[page]):
            if art.continued_to is not None and (page, i) not in taken_first:
                pairing.unpaired_to.append((page, i))
            if art.continued_from is not None and (page, i) not in taken_cont:
                pairing.unpaired_from.append((page, i))
    return pairing


def chains(pairing: Pairing) -> list[list[Ref]]:
    """The parts of each multi-page article in reading order (1 → 3 → 5). A cycle of links (no
    part without a predecessor) is not an article and yields nothing."""
    heads = sorted(set(pairing.links) - set(pairing.links.values()))
    out = []
    for head in heads:
        chain = [head]
        while chain[-1] in pairing.links:
            chain.append(pairing.links[chain[-1]])
        out.append(chain)
    return out


# ------------------------------------------------------------------------------ merging


def _empty(byline: Byline) -> bool:
    return not (byline.kind or byline.reporters or byline.correspondents)


def merge_articles(first: Article, cont: Article) -> Article:
    """One article from two parts: the first part's title decks and byline (the continuation's
    when the first has none), the paragraphs of both in order, the paragraph cut mid-sentence at
    the jump joined into one, section heads renumbered, the first part's spans (offsets into its
    own page) and the jump markers left unresolved at either end."""
    paragraphs = list(first.paragraphs)
    rest = list(cont.paragraphs)
    shift = len(paragraphs)
    heads_at_start = any(s.before_paragraph == 0 for s in cont.subheads)
    if paragraphs and rest and not heads_at_start and not ends_sentence(paragraphs[-1], DEFAULT_RULES):
        paragraphs[-1] += rest.pop(0)
        shift -= 1
    subheads = [
        *first.subheads,
        *(Subhead(text=s.text, before_paragraph=s.before_paragraph + shift) for s in cont.subheads),
    ]
    return first.model_copy(
        update={
            "kicker": first.kicker if first.headline else first.kicker or cont.kicker,
            "headline": first.headline or cont.headline,
            "subheadline": first.subheadline if first.headline else first.subheadline or cont.subheadline,
            "byline": cont.byline if _empty(first.byline) else first.byline,
            "paragraphs": paragraphs + rest,
            "subheads": subheads,
            "continued_to": cont.continued_to,
        }
    )


Reenrich = Callable[[Sequence[EnrichedArticle], Article], EnrichedArticle]
"""(the parts as enriched, first part first; the merged article) -> the merged article enriched afresh."""


def join_issue(articles: Sequence[EnrichedArticle], reenrich: Reenrich) -> tuple[list[EnrichedArticle], JoinReport]:
    """The issue's articles with each jump's parts joined into one article: the first part's
    article_id, page and position; ``pages`` and ``parts`` name every page and its spans; entities,
    metrics, dates and tokens computed by ``reenrich`` on the merged text. Every article comes out
    with ``pages`` and ``parts`` filled (one page, one part when it does not jump); order is kept,
    the continuation parts are left out."""
    by_page: dict[int, list[int]] = {}
    for n, a in enumerate(articles):
        by_page.setdefault(a.page, []).append(n)
    pages: dict[int, Sequence[Article]] = {p: [articles[n].article for n in ns] for p, ns in by_page.items()}
    pairing = pair_parts(pages)

    def at(ref: Ref) -> int:
        return by_page[ref[0]][ref[1]]

    joined: dict[int, EnrichedArticle] = {}
    absorbed: set[int] = set()
    for chain in chains(pairing):
        parts = [articles[at(r)] for r in chain]
        merged = parts[0].article
        for part in parts[1:]:
            merged = merge_articles(merged, part.article)
        head = parts[0]
        fresh = reenrich(parts, merged)
        joined[at(chain[0])] = fresh.model_copy(
            update={
                "article_id": head.article_id,
                "position": head.position,
                "pages": [p.page for p in parts],
                "parts": [ArticlePart(page=p.page, spans=p.article.spans) for p in parts],
            }
        )
        absorbed.update(at(r) for r in chain[1:])
    out = []
    for n, a in enumerate(articles):
        if n in absorbed:
            continue
        out.append(
            joined.get(n)
            or a.model_copy(update={"pages": [a.page], "parts": [ArticlePart(page=a.page, spans=a.article.spans)]})
        )
    unpaired = sorted({at(r) for r in pairing.unpaired_to + pairing.unpaired_from})
    report = JoinReport(
        joined=len(joined), unpaired=pairing.unpaired, unpaired_ids=[articles[n].article_id for n in unpaired]
    )
    return out, report
