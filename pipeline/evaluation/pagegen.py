"""Generated golden pages: the project's own articles composed into e-paper pages by recipe.

The article bank (``tests/golden/corpus/*.toml``) holds articles the team wrote, each with a
stable ``id`` and a ``split`` (``fit`` or ``heldout``). A *recipe* composes a page from bank
articles the way e-paper text extraction lays them out: columns of several articles that
interleave, a feature whose title is printed after its first column, reading guides, series and
column banners, photo captions with credits, paragraphs cut mid-sentence or mid-word across
blocks, two-deck titles on one line, 本报讯 datelines, standalone and end bylines, jumps to other
pages. Every page is written in the ``.page`` markup and rendered by :func:`golden.render`, so its
gold is what the generator composed, never what a segmenter says.

Everything is drawn from one seeded RNG per page: ``generated_pages()`` returns the same pages
every time. A page uses articles of one text split only; ``GenPage.text_split`` and
``GenPage.recipe`` let a caller hold out either (or both: leave-one-recipe-out on held-out text).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pipeline.evaluation.bank import Bank, TextSplit, load_bank
from pipeline.evaluation.golden import GoldenPage, render
from pipeline.evaluation.pieces import (
    Piece,
    Style,
)
from pipeline.evaluation.recipes import RECIPES, Composer, jump_pages

DEFAULT_SEED = 20261130
PAGES_PER_RECIPE = {"fit": 4, "heldout": 3}
# recipes whose pages count as held out whatever their text (the fit never sees their layout)
HELDOUT_RECIPES: tuple[str, ...] = ("front_page", "no_blank_lines")


# --------------------------------------------------------------------------- the bank


# --------------------------------------------------------------------------- pieces of a page


# --------------------------------------------------------------------------- cutting


# --------------------------------------------------------------------------- page composition


_SECTIONS = ["要闻", "新闻", "工会", "地方", "综合", "经济", "劳动保障", "文化", "深度", "基层"]


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class GenPage:
    name: str
    recipe: str
    text_split: TextSplit
    page: GoldenPage
    source: str  # the .page markup it was rendered from
    articles: tuple[str, ...]  # bank ids used, in order of use
    group: str | None = None  # pages of one jump (an article continued across them)

    @property
    def heldout(self) -> bool:
        return self.text_split == "heldout" or self.recipe in HELDOUT_RECIPES


def _markup(meta: dict[str, str], pieces: Iterable[Piece]) -> str:
    lines = [f"@{k} {v}" for k, v in meta.items()]
    for p in pieces:
        lines.append("~" if p.ident == "~" else p.line())
    return "\n".join(lines) + "\n"


def _layout_meta(recipe: str, rng: random.Random, page_no: int) -> dict[str, str]:
    meta = {"name": f"{page_no:02d}版 {rng.choice(_SECTIONS)}"}
    if recipe in ("wrapped_indented", "no_blank_lines"):
        meta["wrap"] = str(rng.randint(16, 26))
        if rng.random() < 0.7:
            meta["wrapstyle"] = "typeset"
    if recipe == "no_blank_lines":
        meta["separator"] = "newline"
    return meta


def _gaps(pieces: list[Piece], rng: random.Random) -> list[Piece]:
    """Now and then an extra empty line between two blocks (extraction leaves them around boxes)."""
    out = list(pieces)
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        out.insert(rng.randint(1, len(out) - 1), Piece("~", "", ""))
    return out


def _page_rng(seed: int, recipe: str, split: str, n: int) -> random.Random:
    return random.Random(f"{seed}/{recipe}/{split}/{n}")


#: the share of fit-text articles printed under another headline style (headline_styles.toml):
#: short, exclaiming, asking or clause-listing headlines, which the bank's own seldom are
RESTYLE_FIT = 0.0


def generate_pages(
    seed: int = DEFAULT_SEED,
    bank: Bank | None = None,
    per_recipe: dict[str, int] | None = None,
    restyle: dict[str, float] | None = None,
) -> list[GenPage]:
    """Every recipe's pages on fit text and on held-out text; the same pages for the same seed.

    ``restyle``: per text split, the share of articles printed under another headline style (by
    default fit text only; the held-out pages are reported as they were pinned)."""
    shares = restyle if restyle is not None else {"fit": RESTYLE_FIT, "heldout": 0.0}
    bank = bank or load_bank()
    counts = per_recipe or PAGES_PER_RECIPE
    pages: list[GenPage] = []
    for recipe, make in RECIPES.items():
        for split in ("fit", "heldout"):
            n_pages = counts[split]
            n = 0
            while n < n_pages:
                rng = _page_rng(seed, recipe, split, n)
                comp = Composer(
                    bank,
                    split,
                    rng,
                    Style(half=rng.random() < 0.75, rng=rng),
                    restyle=shares.get(split, 0.0),
                    restyle_rng=random.Random(f"{seed}/{recipe}/{split}/{n}/headline-style"),
                )
                name = f"{recipe}-{split}-{n:02d}"
                if recipe == "jump_page":
                    p_from, p_to = 1, rng.choice([2, 3, 4, 5, 8])
                    one, two = jump_pages(comp, p_from, p_to)
                    for suffix, pieces, no in (("a", one, p_from), ("b", two, p_to)):
                        meta = _layout_meta(recipe, rng, no)
                        src = _markup(meta, _gaps(pieces, rng))
                        pages.append(
                            GenPage(
                                name + suffix,
                                recipe,
                                split,
                                render(src),
                                src,
                                tuple(comp.used),
                                group=name,
                            )
                        )
                    n += 2
                    continue
                meta = _layout_meta(recipe, rng, rng.randint(1, 8))
                src = _markup(meta, _gaps(make(comp), rng))
                pages.append(GenPage(name, recipe, split, render(src), src, tuple(comp.used)))
                n += 1
    return pages


@cache
def _cached(seed: int) -> tuple[GenPage, ...]:
    return tuple(generate_pages(seed))


@cache
def restyled_pages(seed: int = DEFAULT_SEED) -> tuple[GenPage, ...]:
    """The held-out-text pages again, every article that has other headline styles
    (``headline_styles.toml``: short, exclaiming, asking, clause-listing) printed under one; only
    the pages where that changed something. Same layouts, same text otherwise: the difference to
    the held-out figures is what other papers' ways of titling cost."""
    bank = load_bank()
    styled = {a.id for a in bank.articles if a.alt_headlines}
    held_only = {"fit": 0, "heldout": PAGES_PER_RECIPE["heldout"]}  # each page has its own draws
    pages = generate_pages(seed, bank, per_recipe=held_only, restyle={"fit": 0.0, "heldout": 1.0})
    return tuple(p for p in pages if styled.intersection(p.articles))


def generated_pages(
    split: Literal["fit", "heldout", "all"] = "all",
    seed: int = DEFAULT_SEED,
    heldout_recipes: Sequence[str] | None = None,
) -> list[GenPage]:
    """Pages for fitting (fit text, recipes not held out), for reporting (held-out text or a held-out
    recipe), or all of them. ``heldout_recipes`` overrides :data:`HELDOUT_RECIPES`."""
    held = tuple(HELDOUT_RECIPES if heldout_recipes is None else heldout_recipes)
    pages = list(_cached(seed))
    if split == "all":
        return pages
    is_held = [p.text_split == "heldout" or p.recipe in held for p in pages]
    return [p for p, h in zip(pages, is_held, strict=True) if h == (split == "heldout")]


# --------------------------------------------------------------------------- scoring


def evaluate_generated(
    pages: Iterable[GenPage],
    segment: Callable[[str], object],
) -> dict[str, dict[str, object]]:
    """Scores per recipe and text split, per fit / held-out part (as :func:`generated_pages` splits
    them) and over all pages: ``{"lead_plus_briefs/fit": SegScores.as_dict(), …, "fit": …,
    "heldout": …, "all": …}`` with each part's errors under ``"errors"``."""
    from pipeline.evaluation.segmentation import SegScores, score_page

    parts: dict[str, SegScores] = {}
    for p in pages:
        got = segment(p.page.text)
        for key in (f"{p.recipe}/{p.text_split}", "heldout" if p.heldout else "fit", "all"):
            score_page(p.name, p.page, got, parts.setdefault(key, SegScores()))  # type: ignore[arg-type]
    order = sorted(k for k in parts if "/" in k) + [k for k in ("fit", "heldout", "all") if k in parts]
    return {k: {**parts[k].as_dict(), "errors": parts[k].errors} for k in order}
