"""Layout recipes: how a page of each kind is composed from the bank's articles (interleaved
columns, late titles, briefs, banners, captions, jumps, front pages)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from pipeline.evaluation.bank import Bank, BankArticle, TextSplit
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


@dataclass
class Composer:
    bank: Bank
    split: TextSplit
    rng: random.Random
    style: Style
    used: list[str] = field(default_factory=list)
    n_art: int = 0
    n_blk: int = 0
    # the share of articles printed under one of their other headline styles, drawn from a stream
    # of its own (the page's layout draws stay as they are)
    restyle: float = 0.0
    restyle_rng: random.Random | None = None

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
        if art.alt_headlines and self.restyle_rng is not None and self.restyle_rng.random() < self.restyle:
            art = replace(art, headline=self.restyle_rng.choice(art.alt_headlines))
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
