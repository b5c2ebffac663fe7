"""Articles continued on another page: pairing the parts of a jump and joining them into one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from pipeline.continuations import chains, join_issue, merge_articles, pair_parts
from pipeline.enrichment import enrich_article
from pipeline.models import Article, EnrichedArticle, PageText, Subhead
from pipeline.segmentation import segment_page

DAY = date(2026, 11, 18)

# the project's own text: two stories that both jump from page 1 to page 3
BRIDGE_1 = [
    "西岭县总工会为建桥工人送去冬装八百套,工地食堂同时增加了热汤和夜宵。",
    "项目部负责人说,大桥主塔已经封顶,桥面铺装计划在春节前完成。",
]
BRIDGE_3 = ["桥梁工地的焊工李向东说,冬装很厚实,夜里在江边作业不再冻手,工地食堂的夜宵也很合口味。"]
LIBRARY_1 = [
    "南湖市职工书屋今年新增图书一万两千册,借阅量比去年翻了一番。",
    "书屋管理员介绍,夜班职工下班后常来借书,周末还有读书分享会。",
]
LIBRARY_3 = ["一位纺织厂女工告诉记者,她在书屋借阅了五十多本书,读书分享会让她结识了不少新朋友。"]


def _art(
    headline: str | None, paragraphs: list[str], to: int | None = None, frm: int | None = None, start: int = 0
) -> Article:
    return Article(
        headline=headline,
        paragraphs=paragraphs,
        continued_to=to,
        continued_from=frm,
        spans=[(start, start + sum(len(p) for p in paragraphs))],
    )


def test_a_repeated_title_pairs_two_jumps_to_the_same_page() -> None:
    pages = {
        1: [_art("建桥工人穿上工会冬装", BRIDGE_1, to=3), _art("职工书屋借阅量翻番", LIBRARY_1, to=3, start=200)],
        # printed in the other order on page 3, each under its repeated title
        3: [_art("职工书屋借阅量翻番", LIBRARY_3, frm=1), _art("建桥工人穿上工会冬装", BRIDGE_3, frm=1, start=90)],
    }
    pairing = pair_parts(pages)
    assert pairing.links == {(1, 0): (3, 1), (1, 1): (3, 0)} and pairing.unpaired == 0


def test_without_repeated_titles_the_text_decides() -> None:
    pages = {
        1: [_art("建桥工人穿上工会冬装", BRIDGE_1, to=3), _art("职工书屋借阅量翻番", LIBRARY_1, to=3, start=200)],
        3: [_art(None, LIBRARY_3, frm=1), _art(None, BRIDGE_3, frm=1, start=90)],
    }
    assert pair_parts(pages).links == {(1, 0): (3, 1), (1, 1): (3, 0)}


def test_a_matching_title_outweighs_the_text_and_the_order() -> None:
    # the bridge continuation repeats its title; the untitled one shares more words with the bridge
    pages = {
        1: [_art("建桥工人穿上工会冬装", BRIDGE_1, to=3), _art("职工书屋借阅量翻番", LIBRARY_1, to=3, start=200)],
        3: [
            _art(None, ["大桥主塔封顶后,建桥工人还穿着工会送的冬装在桥面上忙碌。"], frm=1),
            _art("建桥工人穿上工会冬装", LIBRARY_3, frm=1, start=90),
        ],
    }
    assert pair_parts(pages).links == {(1, 0): (3, 1), (1, 1): (3, 0)}


def test_the_repeated_title_may_be_any_deck_of_the_first_part() -> None:
    first = Article(
        kicker="冬日送温暖",
        headline="建桥工人穿上工会冬装",
        subheadline="来自西岭大桥工地的报道",
        paragraphs=BRIDGE_1,
        continued_to=2,
    )
    pages = {1: [first], 2: [_art("来自西岭大桥工地的报道", BRIDGE_3, frm=1)]}
    assert pair_parts(pages).links == {(1, 0): (2, 0)}


def test_with_no_evidence_the_first_continuation_on_the_page_is_taken() -> None:
    pages = {
        1: [_art("甲", ["一二三四。"], to=2)],
        2: [_art(None, ["五六七八。"], frm=1), _art(None, ["九十。"], frm=1)],
    }
    pairing = pair_parts(pages)
    assert pairing.links == {(1, 0): (2, 0)}
    assert pairing.unpaired_from == [(2, 1)] and pairing.unpaired == 1


def test_unpaired_markers_are_left_and_counted() -> None:
    pages = {
        1: [_art("建桥工人穿上工会冬装", BRIDGE_1, to=5)],  # page 5 is not in the issue
        2: [_art("职工书屋借阅量翻番", LIBRARY_3, frm=4)],  # nothing on page 4 jumps here
        3: [_art(None, BRIDGE_3, frm=1)],  # page 1 jumps to 5, not here
    }
    pairing = pair_parts(pages)
    assert pairing.links == {}
    assert pairing.unpaired_to == [(1, 0)] and pairing.unpaired_from == [(2, 0), (3, 0)]


def test_a_jump_chain_across_three_pages() -> None:
    pages = {
        1: [_art("建桥工人穿上工会冬装", BRIDGE_1, to=3)],
        3: [_art("建桥工人穿上工会冬装", BRIDGE_3, frm=1, to=5)],
        5: [_art("建桥工人穿上工会冬装", ["大桥预计明年五月通车。"], frm=3)],
    }
    assert chains(pair_parts(pages)) == [[(1, 0), (3, 0), (5, 0)]]


@pytest.mark.parametrize(
    ("cut", "resumed"),
    [
        ("下转第3版", "上接第1版"),
        ("转第3版", "接第1版"),
        ("(下转第三版)", "(上接第一版)"),
        ("（转第3版）", "（接第1版）"),
    ],
)
def test_marker_spellings_are_read_and_paired(cut: str, resumed: str) -> None:
    page1 = (
        "建桥工人穿上工会冬装\n\n本报讯 (记者 林远山)" + BRIDGE_1[0] + "\n\n" + BRIDGE_1[1] + "\n\n" + cut + "\n\n"
        "职工书屋借阅量翻番\n\n本报讯 (记者 孟晓岚)" + LIBRARY_1[0] + "\n\n" + LIBRARY_1[1] + "\n"
    )
    page3 = "建桥工人穿上工会冬装\n\n" + resumed + "\n\n" + BRIDGE_3[0] + "\n"
    pages = {1: segment_page(page1).articles, 3: segment_page(page3).articles}
    assert [a.continued_to for a in pages[1]] == [3, None]
    assert [a.continued_from for a in pages[3]] == [1]
    assert pair_parts(pages).links == {(1, 0): (3, 0)}


def test_a_paragraph_cut_mid_sentence_is_joined_and_subheads_renumbered() -> None:
    first = Article(
        headline="建桥工人穿上工会冬装",
        paragraphs=[BRIDGE_1[0], "项目部负责人说,大桥主塔已经"],
        subheads=[Subhead(text="冬装到了", before_paragraph=0)],
        continued_to=3,
        spans=[(10, 90)],
    )
    cont = Article(
        headline="建桥工人穿上工会冬装",
        paragraphs=["封顶,桥面铺装计划在春节前完成。", BRIDGE_3[0]],
        subheads=[Subhead(text="夜宵也有了", before_paragraph=1)],
        continued_from=1,
        spans=[(0, 60)],
    )
    merged = merge_articles(first, cont)
    assert merged.paragraphs == [BRIDGE_1[0], BRIDGE_1[1], BRIDGE_3[0]]
    assert [(s.text, s.before_paragraph) for s in merged.subheads] == [("冬装到了", 0), ("夜宵也有了", 2)]
    assert merged.spans == [(10, 90)] and merged.continued_to is None and merged.continued_from is None
    # a part that ends a sentence keeps its paragraphs apart
    whole = merge_articles(first.model_copy(update={"paragraphs": BRIDGE_1}), cont)
    assert len(whole.paragraphs) == 4


def _enriched(pages: dict[int, list[Article]]) -> list[EnrichedArticle]:
    out = []
    for p, arts in pages.items():
        page = PageText(paper="grrb", issue_date=DAY, page=p, text="", source=f"{p:02d}.txt")
        out += [enrich_article(a, page, n, "工人日报", "jieba") for n, a in enumerate(arts)]
    return out


def _reenrich(parts: Sequence[EnrichedArticle], merged: Article) -> EnrichedArticle:
    first = parts[0]
    page = PageText(paper=first.paper, issue_date=first.issue_date, page=first.page, text="", source="joined")
    return enrich_article(merged, page, first.position, first.paper_name, "jieba")


def test_join_issue_makes_one_article_with_the_first_id_both_pages_and_fresh_offsets() -> None:
    articles = _enriched(
        {
            1: [
                _art("建桥工人穿上工会冬装", BRIDGE_1, to=3, start=5),
                _art("职工书屋借阅量翻番", LIBRARY_1, start=200),
            ],
            3: [
                _art("建桥工人穿上工会冬装", BRIDGE_3, frm=1, start=2),
                _art("冬季长跑", ["职工冬季长跑比赛开赛。"], to=7),
            ],
        }
    )
    out, report = join_issue(articles, _reenrich)
    assert report.joined == 1 and report.unpaired == 1 and report.unpaired_ids == [articles[3].article_id]
    assert [a.article_id for a in out] == [articles[0].article_id, articles[1].article_id, articles[3].article_id]
    bridge = out[0]
    assert bridge.pages == [1, 3] and bridge.page == 1 and bridge.position == 0
    assert [(p.page, p.spans) for p in bridge.parts] == [(1, articles[0].article.spans), (3, articles[2].article.spans)]
    assert bridge.article.paragraphs == BRIDGE_1 + BRIDGE_3
    # entities found on the second page point into the joined text
    names = {bridge.text[e.start : e.end] for e in bridge.entities}
    assert "李向东" in names and "李向东" not in {e.text for e in articles[0].entities}
    assert all(bridge.text[e.start : e.end] == e.text for e in bridge.entities)
    assert all(bridge.text[m.start : m.end] == m.text for m in bridge.metrics)
    assert "焊工" in bridge.tokens or "李向东" in bridge.tokens
    # articles on one page say so too
    assert out[1].pages == [1] and [(p.page, p.spans) for p in out[1].parts] == [(1, articles[1].article.spans)]
    assert out[2].pages == [3] and out[2].article.continued_to == 7  # unpaired: left as it is


def test_join_issue_is_deterministic() -> None:
    articles = _enriched({1: [_art("建桥工人穿上工会冬装", BRIDGE_1, to=3)], 3: [_art(None, BRIDGE_3, frm=1)]})
    assert join_issue(articles, _reenrich) == join_issue(articles, _reenrich)


def test_text_evidence_weights_are_data() -> None:
    from pipeline.continuations import FEATURES, text_features, text_score, weights

    w = weights()
    assert set(w) == set(FEATURES) and w["overlap"] > 0
    first, cont = _art("建桥工人穿上工会冬装", BRIDGE_1), _art(None, BRIDGE_3)
    assert text_score(text_features(first, cont, 0.5)) > text_score(text_features(first, cont, 0.1))
