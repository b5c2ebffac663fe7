"""After recognition: credits with roles, canonical names, places in context (pipeline/enrichment/resolve.py).

The entity lists here are built by hand so the tests hold whatever recogniser is the default."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from pipeline.enrichment import enrich_article, extract
from pipeline.enrichment.names import canonical_org, canonical_query, vocab
from pipeline.enrichment.resolve import caption_credits, credits_line, resolve, resolve_place
from pipeline.enrichment.rules import LEXICON
from pipeline.models import Article, Byline, Entity, EntityType, PageText
from pipeline.segmentation import segment_page
from tests.conftest import ROOT

ISSUE = date(2026, 6, 2)
SENTENCE = "6月1日，张伟代表深圳市腾讯计算机系统有限公司在杭州市西湖区宣布，向浙江省红十字会捐赠620万元"


def _ent(text: str, name: str, kind: str, nth: int = 0) -> Entity:
    start = -1
    for _ in range(nth + 1):
        start = text.index(name, start + 1)
    return Entity(text=name, type=EntityType(kind), start=start, end=start + len(name), canonical=name)


# --------------------------------------------------------------------------- credits


def test_bylines_become_persons_with_roles_and_offsets_into_the_credits_line() -> None:
    article = Article(
        headline="小巷暖屋",
        paragraphs=["职工在暖屋里休息。"],
        byline=Byline(kind="本报讯", reporters=["李丰", "张楠"], correspondents=["孙岚"]),
    )
    page = PageText(paper="grrb", issue_date=ISSUE, page=1, text="", source="t")
    enriched = enrich_article(article, page, 0, "工人日报", photographers=["郑子衡"])
    credited = {(e.text, e.role) for e in enriched.entities if e.role}
    assert credited == {
        ("李丰", "reporter"),
        ("张楠", "reporter"),
        ("孙岚", "correspondent"),
        ("郑子衡", "photographer"),
    }
    for e in enriched.entities:
        assert enriched.text[e.start : e.end] == e.text
        assert e.role is None or (e.type is EntityType.PER and e.start > len("小巷暖屋\n职工在暖屋里休息。"))
    assert enriched.text.endswith("\n记者 李丰 张楠 通讯员 孙岚 摄影 郑子衡")
    assert {c.name for c in enriched.entity_counts} >= {"李丰", "孙岚", "郑子衡"}


def test_no_credits_leave_the_text_alone() -> None:
    assert credits_line(Byline()) == ("", [])
    article = Article(headline="小巷暖屋", paragraphs=["职工在暖屋里休息。"])
    page = PageText(paper="grrb", issue_date=ISSUE, page=1, text="", source="t")
    assert enrich_article(article, page, 0, "工人日报").text == "小巷暖屋\n职工在暖屋里休息。"


def test_a_caption_credit_belongs_to_the_article_printed_around_it() -> None:
    page = (ROOT / "samples" / "issues" / "grrb" / "2026-11-20" / "01.txt").read_text(encoding="utf-8")
    split = segment_page(page)
    credits = caption_credits(split.articles, split.blocks)
    captions = [b for b in split.blocks if b.photographer]
    assert captions and len(credits) == len(split.articles)
    assert sorted(n for names in credits for n in names) == sorted(
        n
        for b in captions
        for n in b.photographer.split("、")  # type: ignore[union-attr]
    )
    # the caption sits between the two spans of the first article: it is that article's photo
    first = split.articles[0]
    if len(first.spans) > 1 and first.spans[0][1] <= captions[0].spans[0][0] < first.spans[-1][0]:
        assert captions[0].photographer in credits[0]


# --------------------------------------------------------------------------- aliases


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("全国总工会", "中华全国总工会"),
        ("全总", "中华全国总工会"),
        ("中华全国总工会", "中华全国总工会"),
        ("人社部", "人力资源和社会保障部"),
        ("人力资源社会保障部", "人力资源和社会保障部"),
        ("浙江省人社厅", "浙江省人力资源和社会保障厅"),
        ("杭州市人社局", "杭州市人力资源和社会保障局"),
        ("贵州省总", "贵州省总工会"),
        ("江川市总", "江川市总工会"),
        ("东海港务集团", "东海港务集团"),
    ],
)
def test_one_canonical_per_organisation(name: str, canonical: str) -> None:
    assert canonical_org(name) == canonical
    assert canonical_query(EntityType.ORG, f" {name} ") == canonical


def test_the_alias_table_cites_a_source_for_every_entry() -> None:
    data = tomllib.loads((LEXICON / "aliases.toml").read_text(encoding="utf-8"))
    for entry in [*data["org"], *data["suffix"]]:
        assert len(entry["source"]) > 20, entry
    canonicals = {e["canonical"] for e in data["org"]}
    assert not canonicals & set(vocab().aliases), "a canonical is also someone's alias"


def test_a_short_form_takes_the_full_name_the_article_gives() -> None:
    text = "贵州省总工会近日召开会议。省总有关负责人表示，省总工会将联合人社部、人力资源和社会保障部门开展培训。"
    ents = [
        _ent(text, "贵州省总工会", "ORG"),
        _ent(text, "省总", "ORG", 1),
        _ent(text, "省总工会", "ORG", 1),
        _ent(text, "人社部", "ORG"),
    ]
    got = {(e.text, e.start): e.canonical for e in resolve(text, ents)}
    assert got[("省总", text.index("省总有关"))] == "贵州省总工会"
    assert got[("省总工会", text.index("省总工会将"))] == "贵州省总工会"
    assert got[("人社部", text.index("人社部"))] == "人力资源和社会保障部"
    # nothing to resolve against: the short form keeps its own name
    [alone] = resolve("省总召开会议。", [_ent("省总召开会议。", "省总", "ORG")])
    assert alone.canonical == "省总"


def test_a_sub_unit_written_without_its_place_takes_it_from_the_article() -> None:
    text = "江川市总工会成立新机构。市总工会网络工作部负责人介绍了平台。"
    ents = [_ent(text, "江川市总工会", "ORG"), _ent(text, "市总工会网络工作部", "ORG")]
    assert [e.canonical for e in resolve(text, ents)] == ["江川市总工会", "江川市总工会网络工作部"]


def test_place_queries_use_the_full_division_name() -> None:
    assert canonical_query(EntityType.LOC, "杭州") == "杭州市"
    assert canonical_query(EntityType.LOC, "西湖区") == "西湖区"  # two divisions, one name
    assert canonical_query(EntityType.PER, " 张伟 ") == "张伟"


# --------------------------------------------------------------------------- places


def test_a_district_resolves_to_the_city_the_article_names() -> None:
    for text, name in [("在杭州市西湖区宣布", "西湖区"), ("在杭州市西湖区宣布", "杭州市西湖区")]:
        [loc] = resolve(text, [_ent(text, name, "LOC")])
        assert loc.place is not None and (loc.place.province, loc.place.city) == ("浙江省", "杭州市")
        assert loc.place.county == "西湖区" and loc.place.adcode.startswith("3301")
        assert loc.place.lat is not None and 29 < loc.place.lat < 31
    text = "江西南昌：西湖区的职工书屋开放。"
    [loc] = resolve(text, [_ent(text, "西湖区", "LOC")])
    assert loc.place is not None and loc.place.city == "南昌市"


def test_the_nearest_mention_decides_and_no_context_means_unresolved() -> None:
    text = "南昌市的代表来到杭州。杭州市西湖区的职工书屋开放。"
    div = resolve_place(text, "西湖区", text.index("西湖区"), text.index("西湖区") + 3)
    assert div is not None and div.adcode.startswith("3301")  # 杭州 is nearer than 南昌
    text = "西湖区的职工书屋开放。"
    [loc] = resolve(text, [_ent(text, "西湖区", "LOC")])
    assert loc.place is None and loc.canonical == "西湖区"
    text = "鼓楼区、朝阳区的职工参加。"
    assert all(e.place is None for e in resolve(text, [_ent(text, "鼓楼区", "LOC"), _ent(text, "朝阳区", "LOC")]))
    # a unique name needs no context
    [loc] = resolve("贵阳市职工参加。", [_ent("贵阳市职工参加。", "贵阳市", "LOC")])
    assert loc.place is not None and loc.place.province == "贵州省"


def test_the_user_sentence_after_resolution() -> None:
    ents = [
        _ent(SENTENCE, "张伟", "PER"),
        _ent(SENTENCE, "深圳市腾讯计算机系统有限公司", "ORG"),
        _ent(SENTENCE, "杭州市", "LOC"),
        _ent(SENTENCE, "西湖区", "LOC"),
        _ent(SENTENCE, "浙江省红十字会", "ORG"),
    ]
    got = {e.text: e for e in resolve(SENTENCE, ents)}
    assert set(got) == {"张伟", "深圳市腾讯计算机系统有限公司", "杭州市", "西湖区", "浙江省红十字会"}
    place = got["西湖区"].place
    assert place is not None and (place.province, place.city, place.county) == ("浙江省", "杭州市", "西湖区")
    # and through the default backend: whatever LOC covers 西湖区 is placed in 杭州, not 南昌
    ex = extract(SENTENCE, ISSUE)
    for e in ex.entities:
        assert SENTENCE[e.start : e.end] == e.text
        if e.type is EntityType.LOC and "西湖区" in e.text:
            assert e.place is not None and e.place.city == "杭州市"
    assert [(m.text, m.value, m.unit) for m in ex.metrics] == [("620万元", 6_200_000, "元")]
    assert [(d.text, d.date_from.isoformat(), d.date_to.isoformat()) for d in ex.dates] == [
        ("6月1日", "2026-06-01", "2026-06-01")
    ]
