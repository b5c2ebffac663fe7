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
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

from pipeline.evaluation.bank import Bank, BankArticle, TextSplit, load_bank
from pipeline.evaluation.golden import GoldenPage, render
from pipeline.evaluation.pieces import (
    Piece,
    Style,
    _title_end,
    _title_pieces,
    article_pieces,
    caption_piece,
    cut_paragraph,
    internal_cuts,
    late_title,
    split_stream,
)

DEFAULT_SEED = 20261130
PAGES_PER_RECIPE = {"fit": 4, "heldout": 3}
# recipes whose pages count as held out whatever their text (the fit never sees their layout)
HELDOUT_RECIPES: tuple[str, ...] = ("front_page", "no_blank_lines")


# --------------------------------------------------------------------------- the bank


# --------------------------------------------------------------------------- pieces of a page


# --------------------------------------------------------------------------- cutting


# --------------------------------------------------------------------------- page composition


@dataclass
class Composer:
    bank: Bank
    split: TextSplit
    rng: random.Random
    style: Style
    used: list[str] = field(default_factory=list)
    n_art: int = 0
    n_blk: int = 0

    def take(self, *genres: str, min_paras: int = 0, max_chars: int = 10**6) -> BankArticle:
        pool = [
            a
            for a in self.bank.pool(self.split, *genres)
            if a.id not in self.used and len(a.paragraphs) >= min_paras and a.chars <= max_chars
        ]
        if not pool:
            pool = [a for a in self.bank.pool(self.split, *genres) if a.id not in self.used] or self.bank.pool(
                self.split, *genres
            )
        art = self.rng.choice(pool)
        self.used.append(art.id)
        return art

    def article(self, art: BankArticle, **kw: object) -> tuple[str, list[Piece]]:
        self.n_art += 1
        ident = f"a{self.n_art}"
        return ident, article_pieces(art, ident, self.style, **kw)  # type: ignore[arg-type]

    def block_id(self) -> str:
        self.n_blk += 1
        return f"x{self.n_blk}"

    def caption_of(self, art: BankArticle) -> list[Piece]:
        return [caption_piece(art, self.block_id(), self.style)] if art.caption else []

    def photo(self) -> list[Piece]:
        art = self.take("photo")
        return [caption_piece(art, self.block_id(), self.style)]

    def banner(self, phrases: Sequence[str]) -> list[Piece]:
        sep = self.rng.choice([" ", " ", "　", "  "])
        return [Piece(self.block_id(), "N", sep.join(phrases))]

    def column(self) -> list[Piece]:
        return [Piece(self.block_id(), "N", self.rng.choice(self.bank.columns))] if self.bank.columns else []

    def editor(self) -> list[Piece]:
        names = self.rng.sample(list(self.bank.editors), 2)
        kind = self.rng.choice(["本版编辑 {0}", "本版编辑 {0}", "本版编辑 {0} 美编 {1}", "责任编辑 {0}"])
        return [Piece(self.block_id(), "E", self.style.paren(kind.format(*names), space=False))]

    def simple(self, art: BankArticle, cut_prob: float = 0.25, **kw: object) -> list[Piece]:
        """An article printed in one run (columns of its own), its long paragraphs cut at column ends."""
        _, pieces = self.article(art, **kw)
        return internal_cuts(pieces, self.rng, cut_prob)

    def with_caption_inside(self, pieces: list[Piece], caption: list[Piece]) -> list[Piece]:
        """A caption printed inside an article, between the two halves of a cut paragraph (or paragraphs)."""
        runs = split_stream(pieces, 2, self.rng, cut_prob=0.8)
        if len(runs) < 2:
            return pieces + caption
        return runs[0] + caption + runs[1]


def _interleave(rng: random.Random, host: list[list[Piece]], fillers: list[list[Piece]]) -> list[Piece]:
    """host runs with filler items between them (every gap gets at least one filler, if any remain)."""
    out: list[Piece] = []
    fillers = list(fillers)
    gaps = len(host) - 1
    for n, run in enumerate(host):
        out += run
        if n < gaps and fillers:
            take = max(1, len(fillers) // (gaps - n)) if n < gaps - 1 else len(fillers)
            for _ in range(take):
                out += fillers.pop(0)
    for f in fillers:
        out += f
    return out


Recipe = Callable[[Composer], list[Piece]]


def lead_plus_briefs(c: Composer) -> list[Piece]:
    rng = c.rng
    lead = c.take("news", "feature", "interview", min_paras=3)
    items: list[list[Piece]] = []
    lead_pieces = c.simple(lead, 0.35, guide=rng.random() < 0.5)
    cap = c.caption_of(lead)
    if cap and rng.random() < 0.5:
        lead_pieces = c.with_caption_inside(lead_pieces, cap)
        cap = []
    items.append(lead_pieces)
    for _ in range(rng.randint(3, 6)):
        items.append(c.simple(c.take("brief", "news", max_chars=700), 0.2))
    if cap:
        items.insert(rng.randint(1, len(items)), cap)
    if rng.random() < 0.5:
        items.insert(rng.randint(1, len(items)), c.photo())
    out = [p for item in items for p in item]
    return out + (c.editor() if rng.random() < 0.6 else [])


def feature_late_title(c: Composer) -> list[Piece]:
    rng = c.rng
    feat = c.take("feature", "interview", min_paras=4)
    top: list[list[Piece]] = [c.simple(c.take("brief", "news", max_chars=800), 0.2) for _ in range(rng.randint(0, 2))]
    _, pieces = c.article(feat)
    pieces = internal_cuts(pieces, rng, 0.3)
    runs = late_title(split_stream(pieces, rng.choice([2, 2, 3]), rng, cut_prob=0.85))
    fillers = [c.simple(c.take("brief", "news", max_chars=900), 0.25) for _ in range(rng.randint(1, 3))]
    cap = c.caption_of(feat) or (c.photo() if rng.random() < 0.5 else [])
    if cap:
        fillers.insert(rng.randint(0, len(fillers)), cap)
    banner = c.banner(feat.banner) if feat.banner and rng.random() < 0.7 else (c.column() if rng.random() < 0.3 else [])
    body = _interleave(rng, runs, fillers)
    after = [c.simple(c.take("brief"), 0.1) for _ in range(rng.randint(0, 2))]
    out = [p for item in top for p in item] + banner + body + [p for item in after for p in item]
    return out + (c.editor() if rng.random() < 0.4 else [])


def two_features_interleaved(c: Composer) -> list[Piece]:
    rng = c.rng
    a = c.take("feature", "news", "interview", min_paras=4)
    b = c.take("feature", "news", "interview", min_paras=4)
    _, pa = c.article(a)
    _, pb = c.article(b)
    ra = split_stream(internal_cuts(pa, rng, 0.2), rng.choice([2, 3]), rng, cut_prob=0.8)
    rb = split_stream(internal_cuts(pb, rng, 0.2), rng.choice([2, 3]), rng, cut_prob=0.8)
    if rng.random() < 0.5:
        rb = late_title(rb)
    body: list[Piece] = []
    for n in range(max(len(ra), len(rb))):
        if n < len(ra):
            body += ra[n]
        if n < len(rb):
            body += rb[n]
    briefs = [c.simple(c.take("brief", max_chars=600), 0.1) for _ in range(rng.randint(2, 4))]
    head = rng.randint(0, len(briefs))
    out = [p for item in briefs[:head] for p in item] + body
    for item in briefs[head:]:
        out += item
    extra = c.caption_of(a) + c.caption_of(b)
    for cap in extra:
        out.insert(rng.randint(1, len(out)), cap)
    return out


def briefs_column(c: Composer) -> list[Piece]:
    rng = c.rng
    out = c.column() if rng.random() < 0.7 else []
    n = rng.randint(6, 9)
    for i in range(n):
        art = c.take("brief", "news", max_chars=650)
        pieces = c.simple(art, 0.15, end_byline=None)
        if i == 2 and rng.random() < 0.4:
            pieces = c.with_caption_inside(pieces, c.photo())
        out += pieces
    if rng.random() < 0.5:
        out.insert(rng.randint(1, len(out)), c.photo()[0])
    return out + (c.editor() if rng.random() < 0.5 else [])


def series_banner_feature(c: Composer) -> list[Piece]:
    rng = c.rng
    series = [a for a in c.bank.pool(c.split, "feature", "interview") if a.banner and a.id not in c.used]
    feat = rng.choice(series) if series else c.take("feature", min_paras=4)
    c.used.append(feat.id)
    phrases = feat.banner or (rng.choice(c.bank.columns),)
    before = [c.simple(c.take("news", "brief", "commentary"), 0.25) for _ in range(rng.randint(1, 3))]
    _, pieces = c.article(feat)
    pieces = internal_cuts(pieces, rng, 0.3)
    if rng.random() < 0.5:
        runs = split_stream(pieces, 2, rng, cut_prob=0.8)
        if rng.random() < 0.5:
            runs = late_title(runs)
        mid = [c.simple(c.take("brief", max_chars=600), 0.1)]
        cap = c.caption_of(feat)
        feature = _interleave(rng, runs, mid + ([cap] if cap else []))
    else:
        feature = pieces + c.caption_of(feat)
    after = [c.simple(c.take("brief", "news", max_chars=700), 0.2) for _ in range(rng.randint(1, 3))]
    out = [p for item in before for p in item] + c.banner(phrases) + feature + [p for item in after for p in item]
    return out + (c.editor() if rng.random() < 0.4 else [])


def photo_page(c: Composer) -> list[Piece]:
    rng = c.rng
    items: list[list[Piece]] = []
    for _ in range(rng.randint(4, 6)):
        art = c.take("news", "brief", "feature")
        pieces = c.simple(art, 0.25)
        cap = c.caption_of(art)
        if cap:
            if rng.random() < 0.4:
                pieces = c.with_caption_inside(pieces, cap)
            elif rng.random() < 0.5:
                pieces = cap + pieces
            else:
                pieces = pieces + cap
        items.append(pieces)
    for _ in range(rng.randint(2, 3)):
        items.insert(rng.randint(0, len(items)), c.photo())
    return [p for item in items for p in item]


def _jump_cut(pieces: list[Piece], rng: random.Random) -> tuple[list[Piece], list[Piece]]:
    """The part printed on this page and the part that jumps, cut inside a paragraph."""
    paras = [i for i, p in enumerate(pieces) if p.base == "P"]
    at = paras[max(1, len(paras) // 2)] if len(paras) > 2 else paras[-1]
    cut = cut_paragraph(pieces[at], rng, rng.choice(["anywhere", "after_comma", None]))
    if cut is None:
        return pieces[: at + 1], pieces[at + 1 :]
    return [*pieces[:at], cut[0]], [cut[1], *pieces[at + 1 :]]


def jump_pages(c: Composer, page_from: int, page_to: int) -> tuple[list[Piece], list[Piece]]:
    """Two pages: an article cut with (下转第N版) on one, continued with (上接第M版) on the other."""
    rng = c.rng
    art = c.take("feature", "news", "interview", min_paras=4)
    ident, pieces = c.article(art)
    head, tail = _jump_cut(pieces, rng)
    to_marker = rng.choice(["下转第{}版", "转第{}版"])
    from_marker = rng.choice(["上接第{}版", "接第{}版"])
    to = Piece(ident, f"M:to{page_to}", c.style.paren(to_marker.format(page_to), space=False))
    front = [*internal_cuts(head, rng, 0.25), to]
    front_items = [front] + [c.simple(c.take("brief", "news", max_chars=700), 0.2) for _ in range(rng.randint(3, 5))]
    if rng.random() < 0.5:
        front_items.insert(rng.randint(1, len(front_items)), c.photo())
    page1 = [p for item in front_items for p in item]
    # the continuation, as another article on its own page
    c.n_art += 1
    cont_id = f"a{c.n_art}"
    title = [replace(p, ident=cont_id) for p in _title_pieces(art, cont_id, c.style)] if rng.random() < 0.6 else []
    marker = [Piece(cont_id, f"M:from{page_from}", c.style.paren(from_marker.format(page_from), space=False))]
    rest = [replace(p, ident=cont_id, role="P" if p.role == "P+" else p.role) for p in tail]
    back = title + marker + internal_cuts(rest, rng, 0.2)
    back_items = [c.simple(c.take("brief", "news", max_chars=800), 0.2) for _ in range(rng.randint(3, 5))]
    back_items.insert(rng.randint(0, len(back_items)), back)
    page2 = [p for item in back_items for p in item]
    return page1, page2


def wrapped_indented(c: Composer) -> list[Piece]:
    return c.rng.choice([lead_plus_briefs, feature_late_title, briefs_column])(c)


def no_blank_lines(c: Composer) -> list[Piece]:
    return c.rng.choice([lead_plus_briefs, feature_late_title, two_features_interleaved])(c)


def commentary_interview(c: Composer) -> list[Piece]:
    rng = c.rng
    items = [c.simple(c.take("commentary"), 0.3)]
    items.append(c.simple(c.take("interview", "feature", min_paras=4), 0.3))
    for _ in range(rng.randint(2, 4)):
        items.append(c.simple(c.take("brief", "news", max_chars=700), 0.2))
    rng.shuffle(items)
    out = [p for item in items for p in item]
    if rng.random() < 0.5:
        out = c.column() + out
    return out + (c.editor() if rng.random() < 0.5 else [])


def front_page(c: Composer) -> list[Piece]:
    """The shape of a real front page: a lead feature with section heads, a stack of 本报讯 items, a series
    banner over a feature whose guide, byline and first column come before a photo, another item and
    then its title."""
    rng = c.rng
    lead = c.take("feature", "news", min_paras=5)
    out = c.simple(lead, 0.4, guide=False)
    for _ in range(rng.randint(2, 5)):
        out += c.simple(c.take("brief", "news", max_chars=900), 0.25)
    series = [a for a in c.bank.pool(c.split, "feature", "interview") if a.id not in c.used and (a.banner or a.guide)]
    feat = rng.choice(series) if series else c.take("feature")
    c.used.append(feat.id)
    _, pieces = c.article(feat)
    n = _title_end(pieces)
    title, rest = pieces[:n], pieces[n:]
    runs = split_stream(internal_cuts(rest, rng, 0.35), 2, rng, cut_prob=0.9)
    mid = c.photo() if rng.random() < 0.7 else c.caption_of(feat)
    if rng.random() < 0.3:
        mid.insert(0, Piece("~", "", ""))
    other = c.simple(c.take("news", "brief", max_chars=900), 0.4)
    banner = c.banner(feat.banner) if feat.banner else (c.column() if rng.random() < 0.5 else [])
    out += banner + runs[0] + mid + other + title + (runs[1] if len(runs) > 1 else [])
    return out


RECIPES: dict[str, Recipe] = {
    "lead_plus_briefs": lead_plus_briefs,
    "feature_late_title": feature_late_title,
    "two_features_interleaved": two_features_interleaved,
    "briefs_column": briefs_column,
    "series_banner_feature": series_banner_feature,
    "photo_page": photo_page,
    "jump_page": lambda c: [],  # composed in pairs by jump_pages
    "wrapped_indented": wrapped_indented,
    "no_blank_lines": no_blank_lines,
    "commentary_interview": commentary_interview,
    "front_page": front_page,
}
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


def generate_pages(
    seed: int = DEFAULT_SEED, bank: Bank | None = None, per_recipe: dict[str, int] | None = None
) -> list[GenPage]:
    """Every recipe's pages on fit text and on held-out text; the same pages for the same seed."""
    bank = bank or load_bank()
    counts = per_recipe or PAGES_PER_RECIPE
    pages: list[GenPage] = []
    for recipe, make in RECIPES.items():
        for split in ("fit", "heldout"):
            n_pages = counts[split]
            n = 0
            while n < n_pages:
                rng = _page_rng(seed, recipe, split, n)
                comp = Composer(bank, split, rng, Style(half=rng.random() < 0.75, rng=rng))
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
