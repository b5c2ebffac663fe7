"""ReaderScores: segmentation counted as a reader of the result does (Jaccard >= 0.8 articles,
headline alone or all decks, body without section heads, reporters)."""

from __future__ import annotations

from pipeline.evaluation.golden import render
from pipeline.evaluation.segmentation import ReaderScores
from pipeline.models import PageSplit

PAGE = render(
    "a1 T 江川港码头工人有了新休息室\n"
    "a1 B:本报记者 本报记者 {r:韩雪}\n"
    "a1 P 江川港的码头工人日前搬进了新的休息室,室内有空调、饮水机和长椅,换班的工人不用再蹲在吊机下吃饭了。\n"
    "a1 S 工人自己提的方案\n"
    "a1 P 休息室从选址到布置,都是工会先听工人意见再定下来的,连长椅的长度都按工人的身高量过。\n"
    "a1 P 港务公司表示,明年还将在另外两个作业区建同样的休息室。\n"
    "a2 T 北川县举办职工象棋赛\n"
    "a2 P «本报讯|本报讯 (记者{r:田野})»11月20日,北川县第三届职工象棋赛开赛,来自全县企业的96名职工参赛。\n"
)


def _scores(got: PageSplit) -> dict[str, float]:
    scores = ReaderScores()
    scores.add(PAGE.text, PAGE.gold, got)
    return scores.as_dict()


def test_the_gold_itself_scores_one_on_every_measure() -> None:
    assert _scores(PAGE.gold) == {
        "articles_gold": 2,
        "article_f1": 1.0,
        "headline": 1.0,
        "body_exact": 1.0,
        "byline": 1.0,
    }


def _cut_at(paragraph: str) -> int:
    return PAGE.text.index(paragraph)


def test_an_article_missing_its_last_short_paragraph_is_found_but_its_body_is_not_exact() -> None:
    first, second = PAGE.gold.articles
    (start, _), last = first.spans[0], first.paragraphs[-1]
    cut = first.model_copy(update={"paragraphs": first.paragraphs[:-1], "spans": [(start, _cut_at(last))]})
    got = _scores(PageSplit(articles=[cut, second]))
    assert got["article_f1"] == 1.0  # it still covers more than 80 % of its characters
    assert got["body_exact"] == 0.5 and got["headline"] == 1.0 and got["byline"] == 1.0


def test_a_banner_read_as_kicker_keeps_the_headline_and_a_merged_article_is_lost() -> None:
    first, second = PAGE.gold.articles
    kicked = first.model_copy(update={"kicker": "一线故事"})
    assert _scores(PageSplit(articles=[kicked, second]))["headline"] == 1.0
    merged = first.model_copy(
        update={"paragraphs": first.paragraphs + second.paragraphs, "spans": first.spans + second.spans}
    )
    # the brief is more than a fifth of what the merged article covers: neither article is found
    got = _scores(PageSplit(articles=[merged]))
    assert got["article_f1"] == 0.0 and got["body_exact"] == 0.0 and got["byline"] == 0.0
    assert _scores(PageSplit(articles=[merged, second]))["article_f1"] == round(2 * 0.5 * 0.5, 4)
