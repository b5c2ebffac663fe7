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
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

from pipeline.evaluation.golden import GoldenPage, render

BANK_DIR = Path(__file__).resolve().parents[2] / "tests" / "golden" / "corpus"
DEFAULT_SEED = 20261130
PAGES_PER_RECIPE = {"fit": 4, "heldout": 3}
# recipes whose pages count as held out whatever their text (the fit never sees their layout)
HELDOUT_RECIPES: tuple[str, ...] = ("front_page", "no_blank_lines")

TextSplit = Literal["fit", "heldout"]

_HALF = str.maketrans({"，": ",", "；": ";", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")"})
_SENT_END = "。!?！？"
# typesetting never starts a column with closing punctuation nor ends one with an opening mark
_NO_START = ",，。、;；:：?？!！)）”’》」…—%"
_NO_END = "“‘《「(（"
_TITLES = ("主席", "书记", "负责人", "局长", "经理", "班长", "队长", "主任", "院长", "厂长", "站长", "总监", "代表")


# --------------------------------------------------------------------------- the bank


@dataclass(frozen=True)
class BankArticle:
    id: str
    split: TextSplit
    genre: str  # brief | news | feature | interview | commentary | photo
    headline: str = ""
    kicker: str = ""
    subheadline: str = ""
    kind: str = ""  # 本报讯 / 本报记者 / 本报通讯员 / 本报评论员 / an outlet (新华社, 南湖日报)
    dateline: str = ""  # printed dateline when it differs from kind (新华社北京11月3日电)
    reporters: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()
    guide: str = ""
    banner: tuple[str, ...] = ()  # series banner phrases printed above the article
    body: tuple[str, ...] = ()  # paragraphs; "## text" is an in-article section head
    caption: str = ""  # a photo printed with the article (photo news: the whole item)
    photographers: tuple[str, ...] = ()
    credit: str = ""  # how the credit is printed: "" (X摄), 本报记者, 通讯员, or "/agency"

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body if not p.startswith("## ")]

    @property
    def chars(self) -> int:
        parts = [self.kicker, self.headline, self.subheadline, self.guide, self.caption, *self.body]
        return sum(len(p.removeprefix("## ")) for p in parts)


@dataclass(frozen=True)
class Bank:
    articles: tuple[BankArticle, ...]
    columns: tuple[str, ...]  # column banners (栏目) of the pages: 基层传真, 一线故事 …
    editors: tuple[str, ...]

    def pool(self, split: TextSplit, *genres: str) -> list[BankArticle]:
        return [a for a in self.articles if a.split == split and (not genres or a.genre in genres)]


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(v) for v in value or ())  # type: ignore[attr-defined]


@cache
def load_bank(directory: Path = BANK_DIR) -> Bank:
    articles: list[BankArticle] = []
    columns: list[str] = []
    editors: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        columns.extend(data.get("columns", ()))
        editors.extend(data.get("editors", ()))
        for raw in data.get("article", ()):
            fields = {k: v for k, v in raw.items()}
            for key in ("reporters", "correspondents", "banner", "body", "photographers"):
                if key in fields:
                    fields[key] = _as_tuple(fields[key])
            articles.append(BankArticle(**fields))
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        raise ValueError("article bank: duplicate ids")
    for a in articles:
        if a.split not in ("fit", "heldout"):
            raise ValueError(f"{a.id}: split must be fit or heldout")
        if a.genre != "photo" and (not a.headline or not a.paragraphs):
            raise ValueError(f"{a.id}: an article needs a headline and paragraphs")
        if a.genre == "photo" and not (a.caption and a.photographers):
            raise ValueError(f"{a.id}: photo news needs a caption and a photographer")
        if any(c in p for p in (a.headline, a.kicker, a.subheadline, *a.body, a.caption) for c in "|{}«»"):
            raise ValueError(f"{a.id}: markup characters in the text")
    return Bank(tuple(articles), tuple(dict.fromkeys(columns)), tuple(dict.fromkeys(editors)))


def bank_texts(split: TextSplit = "fit", bank: Bank | None = None) -> list[str]:
    """The running text of one split's articles (titles, guide, paragraphs, section heads, caption),
    e.g. to train a language model on the fit split without reading held-out text."""
    bank = bank or load_bank()
    out = []
    for a in bank.articles:
        if a.split == split:
            parts = [a.kicker, a.headline, a.subheadline, a.guide, *(p.removeprefix("## ") for p in a.body), a.caption]
            out.append("\n".join(p for p in parts if p))
    return out


# --------------------------------------------------------------------------- pieces of a page


@dataclass
class Piece:
    """One block of the page in markup: ``ident role text``; ``keep`` leading characters are never cut."""

    ident: str
    role: str
    text: str
    keep: int = 0

    @property
    def base(self) -> str:
        return self.role.partition(":")[0]

    def line(self) -> str:
        return f"{self.ident} {self.role} {self.text}"


@dataclass
class Style:
    half: bool  # half-width ,;:?!() as most e-paper extractions print them
    rng: random.Random

    def p(self, text: str) -> str:
        return text.translate(_HALF) if self.half else text

    def paren(self, inner: str, space: bool = True) -> str:
        if self.half:
            return (" " if space else "") + f"({inner})"
        return f"（{inner}）"


def _tagged(names: Sequence[str], tag: str) -> str:
    return " ".join(f"{{{tag}:{n}}}" for n in names)


def _credits(art: BankArticle, style: Style) -> str:
    parts = []
    if art.reporters:
        parts.append("记者" + _tagged(art.reporters, "r"))
    if art.correspondents:
        parts.append("通讯员" + _tagged(art.correspondents, "c"))
    return " ".join(parts)


def _title_pieces(art: BankArticle, ident: str, style: Style) -> list[Piece]:
    rng = style.rng
    named = (("k", art.kicker), ("h", art.headline), ("s", art.subheadline))
    decks = [(letter, style.p(text)) for letter, text in named if text]
    if len(decks) == 1:
        return [Piece(ident, "T", decks[0][1])]
    if rng.random() < 0.25:  # decks printed on lines of their own
        return [Piece(ident, f"T:{letter}", text) for letter, text in decks]
    seps = ["——", " ", "　", "  "] if decks[-1][0] != "s" or rng.random() < 0.5 else ["——", " ", "　"]
    weights = [4, 3, 1, 1][: len(seps)]
    text = ""
    for n, (_, deck) in enumerate(decks):
        if n:
            text += "|" + rng.choices(seps, weights)[0] + "|"
        text += deck
    return [Piece(ident, "T:" + "".join(letter for letter, _ in decks), text)]


def _guide_pieces(art: BankArticle, ident: str, style: Style) -> list[Piece]:
    header = style.rng.choices(["阅 读 提 示", "阅读提示", "核心提示"], [5, 3, 1])[0]
    return [Piece(ident, "G", header), Piece(ident, "G+", style.p(art.guide))]


def _byline_piece(art: BankArticle, ident: str, style: Style, end: bool = False) -> Piece:
    """A standalone byline: 本报记者 甲 乙 本报通讯员 丙; (本报记者 甲) when printed at the end."""
    kind = art.kind
    if kind in ("本报记者", "本报通讯员"):
        bits = []
        if art.reporters:
            bits.append("本报记者 " + _tagged(art.reporters, "r"))
        if art.correspondents:
            bits.append(
                ("本报通讯员 " if style.rng.random() < 0.6 or not art.reporters else "通讯员 ")
                + _tagged(art.correspondents, "c")
            )
        text = " ".join(bits)
        kind = "本报记者" if art.reporters else "本报通讯员"
    elif kind == "本报评论员":
        text = "本报评论员 " + _tagged(art.reporters, "r") if art.reporters else "本报评论员"
    else:  # another outlet: 南湖日报记者 甲
        text = f"{kind}记者 " + _tagged(art.reporters, "r")
    if end:
        text = style.paren(text, space=False)
    return Piece(ident, f"B:{kind}", text)


def _dateline_prefix(art: BankArticle, style: Style) -> tuple[str, int]:
    """«kind|printed dateline» for a first paragraph, and how many page characters it takes."""
    printed = art.dateline or art.kind
    credits = _credits(art, style)
    if credits:
        printed += style.paren(credits)
    else:
        printed += " " if style.rng.random() < 0.3 else ""
    kind = "本报讯" if art.kind == "本报讯" else art.kind
    return f"«{kind}|{printed}»", len(f"«{kind}|{printed}»")


def article_pieces(
    art: BankArticle, ident: str, style: Style, *, guide: bool = True, end_byline: bool | None = None
) -> list[Piece]:
    """The article's blocks in reading order: title, guide, byline, paragraphs with section heads."""
    rng = style.rng
    out = _title_pieces(art, ident, style)
    if art.guide and guide:
        out += _guide_pieces(art, ident, style)
    # 本报讯 and other outlets' datelines (新华社北京…电) open the first paragraph; other bylines stand alone
    dateline = art.kind == "本报讯" or bool(art.dateline)
    if end_byline is None:
        end_byline = not dateline and art.genre in ("brief", "news") and rng.random() < 0.35
    if not dateline and not end_byline and art.kind:
        out.append(_byline_piece(art, ident, style))
    first = True
    for para in art.body:
        if para.startswith("## "):
            out.append(Piece(ident, "S", style.p(para[3:])))
            continue
        text = style.p(para)
        if first and dateline:
            prefix, keep = _dateline_prefix(art, style)
            out.append(Piece(ident, "P", prefix + text, keep))
        else:
            out.append(Piece(ident, "P", text))
        first = False
    if end_byline and art.kind:
        out.append(_byline_piece(art, ident, style, end=True))
    return out


def caption_piece(art: BankArticle, ident: str, style: Style) -> Piece:
    rng = style.rng
    names = _tagged(art.photographers, "p")
    credit = art.credit
    if credit.startswith("/"):
        shown = f"{names} 摄{credit}" if rng.random() < 0.5 else f"{names}摄{credit}"
    elif credit:
        shown = f"{credit} {names} 摄" if rng.random() < 0.5 else f"{credit} {names}摄"
    else:
        shown = f"{names}摄"
    if rng.random() < 0.2 and not credit.startswith("/"):
        shown = style.paren(shown.replace(" 摄", "摄"), space=False)
    sep = rng.choice([" ", " ", "　", "  "])
    return Piece(ident, "C", style.p(art.caption) + sep + shown)


# --------------------------------------------------------------------------- cutting


def _body_start(piece: Piece) -> int:
    return piece.keep


def cut_paragraph(piece: Piece, rng: random.Random, mode: str | None = None) -> tuple[Piece, Piece] | None:
    """Cut a paragraph block in two (a column end): mid-word, mid-sentence, a few characters in, …"""
    lo, hi = _body_start(piece) + 1, len(piece.text) - 1
    if hi - lo < 6:
        return None
    text = piece.text
    mode = (
        mode
        or rng.choices(
            ["anywhere", "after_comma", "short_head", "short_tail", "before_speech", "after_title", "sentence_end"],
            [10, 3, 2, 2, 1, 1, 1],
        )[0]
    )
    ok = [
        i
        for i in range(lo, hi)
        if not text[i].isspace()
        and not text[i - 1].isspace()
        and text[i] not in _NO_START
        and text[i - 1] not in _NO_END
    ]
    if mode == "after_comma":
        cand = [i for i in ok if text[i - 1] in ",，、;；"]
    elif mode == "short_head":
        cand = [i for i in ok if i - lo < 18 and i - lo >= 2]
    elif mode == "short_tail":
        cand = [i for i in ok if hi - i < 8]
    elif mode == "before_speech":
        cand = [i for i in ok if text.startswith(("表示", "介绍", "告诉记者", "说", "认为", "指出"), i)]
    elif mode == "after_title":  # a person's title ends the column, the name opens the next: 主席 ‖ 杨某表示
        cand = [i for i in ok if text.endswith(_TITLES, lo, i)]
    elif mode == "sentence_end":
        cand = [i for i in ok if text[i - 1] in _SENT_END or text[i - 2 : i] in ("。”", "!”", "?”", "！”", "？”")]
    else:
        cand = ok
    if not cand:
        cand = ok
    if not cand:
        return None
    at = rng.choice(cand)
    left = Piece(piece.ident, piece.role, text[:at], piece.keep)
    right = Piece(piece.ident, "P+", text[at:])
    return left, right


def internal_cuts(pieces: list[Piece], rng: random.Random, prob: float) -> list[Piece]:
    """Column ends inside one article: a paragraph continues in the next block, nothing between."""
    out: list[Piece] = []
    for p in pieces:
        if p.base in ("P", "P+") and len(p.text) - p.keep > 50 and rng.random() < prob:
            cut = cut_paragraph(p, rng)
            if cut:
                out.extend(cut)
                continue
        out.append(p)
    return out


def _title_end(pieces: list[Piece]) -> int:
    n = 0
    while n < len(pieces) and pieces[n].base == "T":
        n += 1
    return n


def split_stream(pieces: list[Piece], parts: int, rng: random.Random, cut_prob: float = 0.75) -> list[list[Piece]]:
    """Split an article's blocks into ``parts`` column runs; a run usually ends mid-paragraph."""
    first_para = next((i for i, p in enumerate(pieces) if p.base == "P"), len(pieces))
    points = [i for i in range(first_para + 1, len(pieces) + 1) if pieces[i - 1].base in ("P", "P+")]
    points = [i for i in points if i < len(pieces) or rng.random() < 0.3]
    if not points:
        return [pieces]
    chosen = sorted(rng.sample(points, min(parts - 1, len(points))))
    runs: list[list[Piece]] = []
    start = 0
    carry: list[Piece] = []
    for at in chosen:
        run = carry + pieces[start:at]
        carry = []
        if rng.random() < cut_prob and run and run[-1].base in ("P", "P+"):
            cut = cut_paragraph(run[-1], rng)
            if cut:
                run[-1] = cut[0]
                carry = [cut[1]]
        runs.append(run)
        start = at
    runs.append(carry + pieces[start:])
    return [r for r in runs if r]


def late_title(runs: list[list[Piece]]) -> list[list[Piece]]:
    """Move the title lines from the first run to the top of the second (printed after column one)."""
    if len(runs) < 2:
        return runs
    n = _title_end(runs[0])
    return [runs[0][n:], runs[0][:n] + runs[1], *runs[2:]]


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
