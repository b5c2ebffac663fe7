"""Generated golden pages: deterministic, renderable, gold that covers each page exactly once."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.evaluation import bank as article_bank
from pipeline.evaluation import pagegen
from pipeline.evaluation.bank import load_bank
from pipeline.evaluation.golden import render, typeset_lines
from pipeline.evaluation.pagegen import generate_pages, generated_pages
from pipeline.evaluation.recipes import RECIPES
from pipeline.models import BlockKind


@pytest.fixture(scope="module")
def pages() -> list[pagegen.GenPage]:
    return generated_pages("all")


def test_same_seed_same_pages() -> None:
    one = generate_pages(seed=7)
    two = generate_pages(seed=7)
    assert [p.source for p in one] == [p.source for p in two]
    assert [p.page.text for p in one] == [p.page.text for p in two]
    other = generate_pages(seed=8)
    assert [p.source for p in one] != [p.source for p in other]


def test_every_page_renders_from_its_markup(pages: list[pagegen.GenPage]) -> None:
    for p in pages:
        again = render(p.source)
        assert again.text == p.page.text, p.name
        assert again.gold == p.page.gold, p.name


def test_gold_covers_every_non_blank_character_once(pages: list[pagegen.GenPage]) -> None:
    for p in pages:
        text = p.page.text
        owners = Counter(
            i
            for item in [*p.page.gold.articles, *p.page.gold.blocks]
            for s, e in item.spans
            for i in range(s, e)
            if not text[i].isspace()
        )
        visible = {i for i, ch in enumerate(text) if not ch.isspace()}
        assert set(owners) == visible, p.name
        assert set(owners.values()) == {1}, p.name


def test_gold_paragraphs_are_the_printed_text(pages: list[pagegen.GenPage]) -> None:
    """Every paragraph of the gold is made of page characters, in order, whatever the cuts."""
    for p in pages:
        flat = "".join(p.page.text.split())
        for art in p.page.gold.articles:
            assert art.paragraphs and all(art.paragraphs), p.name
            spans_text = "".join("".join(p.page.text[s:e].split()) for s, e in art.spans)
            for para in art.paragraphs:
                body = "".join(para.split())
                assert body in flat or body in spans_text, (p.name, para[:20])


def test_recipes_and_page_counts(pages: list[pagegen.GenPage]) -> None:
    by_recipe = Counter(p.recipe for p in pages)
    assert set(by_recipe) == set(RECIPES)
    assert len(RECIPES) >= 8
    assert len(pages) >= 60
    for recipe in RECIPES:
        splits = {p.text_split for p in pages if p.recipe == recipe}
        assert splits == {"fit", "heldout"}, recipe
    assert len({p.name for p in pages}) == len(pages)


def test_pages_hold_several_articles(pages: list[pagegen.GenPage]) -> None:
    counts = [len(p.page.gold.articles) for p in pages]
    assert min(counts) >= 3
    assert sum(4 <= n <= 10 for n in counts) >= 0.85 * len(pages)


def test_layout_phenomena_are_present(pages: list[pagegen.GenPage]) -> None:
    kinds = Counter(b.kind for p in pages for b in p.page.gold.blocks)
    for kind in (BlockKind.CAPTION, BlockKind.BANNER, BlockKind.READING_GUIDE, BlockKind.EDITOR_NOTE):
        assert kinds[kind] >= 5, kind
    arts = [a for p in pages for a in p.page.gold.articles]
    assert sum(len(a.spans) > 1 for a in arts) >= 30  # printed in several runs with other blocks between
    assert sum(bool(a.subheads) for a in arts) >= 10
    assert sum(a.kicker is not None for a in arts) >= 20
    assert sum(a.subheadline is not None for a in arts) >= 10
    assert sum(a.continued_to is not None for a in arts) >= 4
    assert sum(a.continued_from is not None for a in arts) >= 4
    late = 0
    for p in pages:
        for a in p.page.gold.articles:
            title = p.page.text[a.spans[0][0] : a.spans[0][1]]
            if a.headline and a.headline not in title:
                pytest.fail(f"{p.name}: the first span of an article is its title")
            late += len(a.spans) > 1 and a.spans[0][0] > a.spans[1][0]
    assert late >= 10  # titles printed after the first column
    texts = [p.page.text for p in pages]
    assert any("," in t for t in texts) and any("，" in t for t in texts)  # half- and full-width pages
    assert any("\n\n" not in t.strip("\n") for t in texts)  # pages without blank lines


def test_split_policy(pages: list[pagegen.GenPage]) -> None:
    bank = load_bank()
    by_id = {a.id: a for a in bank.articles}
    for p in pages:
        assert {by_id[i].split for i in p.articles} == {p.text_split}, p.name
    fit = generated_pages("fit")
    held = generated_pages("heldout")
    assert len(fit) + len(held) == len(pages)
    assert all(p.text_split == "fit" and p.recipe not in pagegen.HELDOUT_RECIPES for p in fit)
    assert all(p.heldout for p in held)
    one_out = generated_pages("heldout", heldout_recipes=["photo_page"])
    assert {p.recipe for p in one_out if p.text_split == "fit"} == {"photo_page"}


def test_bank_size_and_split() -> None:
    bank = load_bank()
    arts = bank.articles
    assert len(arts) >= 90
    assert sum(a.chars for a in arts) >= 40_000
    held = sum(a.split == "heldout" for a in arts)
    assert 0.25 <= held / len(arts) <= 0.40
    genres = Counter((a.genre, a.split) for a in arts)
    for genre in ("brief", "news", "feature", "interview", "commentary", "photo"):
        assert genres[(genre, "fit")] >= 2 and genres[(genre, "heldout")] >= 1, genre
    features = [a for a in arts if a.genre == "feature"]
    assert all(2 <= sum(p.startswith("## ") for p in a.body) <= 4 for a in features if len(a.paragraphs) >= 6)


def test_restyled_pages_change_only_headlines(pages: list[pagegen.GenPage]) -> None:
    """The held-out pages under other headline styles: same layouts and articles, some headlines
    printed in another style; fit pages never restyled by default, held-out pages as pinned."""
    held = {p.name: p for p in pages if p.text_split == "heldout"}
    half = str.maketrans("！？，“”", '!?,""')  # a page may print half-width punctuation
    styles = {h for a in load_bank().articles for h in a.alt_headlines}
    styles |= {h.translate(half) for h in styles}
    restyled = pagegen.restyled_pages()
    assert len(restyled) >= 20
    changed = 0
    for page in restyled:
        plain = held[page.name]
        assert page.articles == plain.articles and len(page.page.gold.articles) == len(plain.page.gold.articles)
        for got, was in zip(page.page.gold.articles, plain.page.gold.articles, strict=True):
            assert got.paragraphs == was.paragraphs
            if got.headline != was.headline:
                assert got.headline in styles
                changed += 1
    assert changed >= len(restyled)
    written = [h for a in load_bank().articles for h in a.alt_headlines]
    assert all(len(h) <= 12 or "，" in h or h[-1] in "！？" for h in written)  # styles the bank seldom has


def test_typeset_wrap_keeps_the_text_and_never_starts_a_line_with_closing_punctuation() -> None:
    body = "\u3000\u3000“机器能测出来的误差,手也能摸出来。”他笑着说。公差只有0.002毫米,相当于头发丝的一半。“好的。”"
    for width in range(4, 30):
        lines = typeset_lines(body, width)
        assert "".join(lines) == body
        assert not any(line[0] in ",。、;:?!)”’》…" for line in lines[1:]), width
        assert not any(line[-1] in "“‘《(" for line in lines), width


def test_empty_line_marker_adds_blank_lines_only() -> None:
    plain = render("a1 T 标题\na1 P 正文一段。\na2 T 另一个标题\na2 P 另一段。\n")
    gapped = render("a1 T 标题\na1 P 正文一段。\n~\n~\na2 T 另一个标题\na2 P 另一段。\n")
    assert gapped.text.replace("\n", "") == plain.text.replace("\n", "")
    assert "\n\n\n\n" in gapped.text and "\n\n\n" not in plain.text
    assert [a.paragraphs for a in gapped.gold.articles] == [a.paragraphs for a in plain.gold.articles]


def test_bank_texts_keep_the_splits_apart() -> None:
    fit, held = article_bank.bank_texts("fit"), article_bank.bank_texts("heldout")
    bank = load_bank()
    assert len(fit) == sum(a.split == "fit" for a in bank.articles)
    assert len(held) == sum(a.split == "heldout" for a in bank.articles)
    held_heads = {a.headline for a in bank.articles if a.split == "heldout" and a.headline}
    assert not any(text.splitlines()[0] in held_heads or any(h in text for h in held_heads) for text in fit)
