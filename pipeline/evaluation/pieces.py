"""Pieces of a generated page: an article's title decks, byline, dateline, paragraphs and
captions as marked-up units, and the cuts a column end makes in them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.evaluation.bank import BankArticle

_HALF = str.maketrans({"，": ",", "；": ";", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")"})


_SENT_END = "。!?！？"


# typesetting never starts a column with closing punctuation nor ends one with an opening mark
_NO_START = ",，。、;；:：?？!！)）”’》」…—%"


_NO_END = "“‘《「(（"


_TITLES = ("主席", "书记", "负责人", "局长", "经理", "班长", "队长", "主任", "院长", "厂长", "站长", "总监", "代表")


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
