"""Segmentation on hand-written pages: layout cases, bylines, decks, bad input, span partition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.evaluation.golden import render
from pipeline.segmentation import segment_page
from pipeline.segmentation.bylines import (
    assign_decks,
    parse_caption,
    parse_dateline,
    parse_standalone_byline,
    trailing_credit,
)
from pipeline.segmentation.rules import DEFAULT_RULES as R
from pipeline.segmentation.units import classify, ends_sentence, split_units
from tests.conftest import ROOT

FEATURE_SPLIT = """
a1 B:本报记者 本报记者 {r:周青禾}
a1 P 今年以来,江川市总工会在全市建成职工服务中心,累计发放帮扶资
x1 C 江川市职工在服务中心办理业务。 {p:郑子衡}摄
a2 T 北川县总工会送技能培训进车间
a2 P «本报讯|本报讯 (记者{r:马一鸣})»11月18日,北川县总工会“技能培训进车间”活动启动,首批200名职工报名。
a1 T:kh 江川市总推行“一站式”服务 困难职工帮扶更精准|——|“有事找工会,真管用”
a1 P+ 金460万元。
a1 S 整合资源建平台
a1 P 江川市总将分散在各部门的服务集中起来,职工只需跑一次。
a1 M:to2 (下转第2版)
"""


def _covered(spans: list[tuple[int, int]], text: str) -> list[int]:
    return [i for s, e in spans for i in range(s, e) if not text[i].isspace()]


def test_feature_with_late_title_cut_paragraph_caption_and_subhead() -> None:
    page = render(FEATURE_SPLIT)
    got = segment_page(page.text)
    assert got.articles == page.gold.articles
    assert got.blocks == page.gold.blocks
    feature = got.articles[0]
    assert feature.kicker == "江川市总推行“一站式”服务 困难职工帮扶更精准"
    assert feature.headline == "“有事找工会,真管用”"
    assert feature.paragraphs[0].endswith("发放帮扶资金460万元。")
    assert feature.continued_to == 2
    assert got.blocks[0].photographer == "郑子衡"


def test_spans_partition_every_non_blank_character() -> None:
    page = render(FEATURE_SPLIT)
    got = segment_page(page.text)
    covered = [i for a in got.articles for i in _covered(a.spans, page.text)]
    covered += [i for b in got.blocks for i in _covered(b.spans, page.text)]
    assert sorted(covered) == [i for i, ch in enumerate(page.text) if not ch.isspace()]


def test_bylines() -> None:
    b, start = parse_dateline("本报讯 (记者何远舟 通讯员孙岚)近日,……", R) or (None, 0)
    assert b is not None and (b.kind, b.reporters, b.correspondents) == ("本报讯", ["何远舟"], ["孙岚"])
    assert "近日,……".startswith("近日") and start == len("本报讯 (记者何远舟 通讯员孙岚)")
    b2, _ = parse_dateline("新华社北京6月1日电 (记者 宋佳音 王小川)今天……", R) or (None, 0)
    assert b2 is not None and b2.kind == "新华社" and b2.reporters == ["宋佳音", "王小川"]
    b3, _ = parse_dateline("本报北京11月18日电 (记者孟晓光)人社部……", R) or (None, 0)
    assert b3 is not None and b3.kind == "本报讯"
    s = parse_standalone_byline("本报记者 韩雪 本报通讯员 田野", R)
    assert s is not None and (s.kind, s.reporters, s.correspondents) == ("本报记者", ["韩雪"], ["田野"])
    other = parse_standalone_byline("东海日报记者 王春生", R)
    assert other is not None and other.kind == "东海日报"
    assert parse_standalone_byline("记者节里的坚守与担当", R) is None


@pytest.mark.parametrize(
    ("line", "kind", "reporters", "correspondents"),
    [
        ("本报记者 苏 岩", "本报记者", ["苏岩"], []),  # a two-character name padded to three
        ("本报记者\u3000苏\u3000岩 本报通讯员 田野", "本报记者", ["苏岩"], ["田野"]),
        ("文/图 本报记者 韩雪", "本报记者", ["韩雪"], []),
        ("图／文 记者 韩雪", "本报记者", ["韩雪"], []),
        ("东海日报全媒体记者 王春生", "东海日报", ["王春生"], []),
        ("东海日报·东海网记者 王春生 柯远", "东海日报·东海网", ["王春生", "柯远"], []),
        ("本报驻江川记者 韩雪", "本报记者", ["韩雪"], []),
        ("■本报首席记者 韩雪 实习生 田野", "本报记者", ["韩雪", "田野"], []),
        # the work credited or where the reporter filed from, after the names: not a name
        ("本报记者 韩雪 文/图", "本报记者", ["韩雪"], []),
        ("本报记者 韩雪 通讯员 田野 文/图", "本报记者", ["韩雪"], ["田野"]),
        ("本报记者 韩雪 柯远 报道", "本报记者", ["韩雪", "柯远"], []),
        ("本报记者 韩雪/文", "本报记者", ["韩雪"], []),
        ("本报记者 韩雪 发自江川", "本报记者", ["韩雪"], []),
        ("本报记者 柯文 李图", "本报记者", ["柯文", "李图"], []),  # a name may end in 文 or 图
        ("本报实习记者 韩雪", "本报记者", ["韩雪"], []),
        ("本报驻江川记者站记者 韩雪", "本报记者", ["韩雪"], []),
        # the paper's editorial voice signs with no name
        ("本报评论员", "本报评论员", [], []),
        ("（本报特约评论员）", "本报评论员", [], []),
        ("东海日报评论部", "东海日报", [], []),
    ],
)
def test_byline_conventions_of_other_papers(
    line: str, kind: str, reporters: list[str], correspondents: list[str]
) -> None:
    got = parse_standalone_byline(line, R)
    assert got is not None and (got.kind, got.reporters, got.correspondents) == (kind, reporters, correspondents)


def test_datelines_of_other_papers_and_lines_that_only_look_like_credits() -> None:
    b, start = parse_dateline("据新华社北京11月3日电 国家统计局3日发布……", R) or (None, 0)
    assert b is not None and b.kind == "新华社" and start == len("据新华社北京11月3日电 ")
    b2, _ = parse_dateline("本报讯（记者 苏 岩）近日,……", R) or (None, 0)
    assert b2 is not None and b2.reporters == ["苏岩"]
    b3, start3 = parse_dateline("本报讯 记者韩雪 通讯员田野报道：近日,……", R) or (None, 0)
    assert b3 is not None and (b3.reporters, b3.correspondents) == (["韩雪"], ["田野"])
    assert start3 == len("本报讯 记者韩雪 通讯员田野报道：")  # the credit run into the text is not body
    b4, start4 = parse_dateline("本报讯 记者从江川市总工会获悉,……", R) or (None, 0)
    assert b4 is not None and not b4.reporters and start4 == len("本报讯 ")
    for title in ("文化强国建设 文艺工作者在行动", "图说新闻", "记者节里的坚守与担当", "文明城市创建进行时", "评论员"):
        assert parse_standalone_byline(title, R) is None


def test_headlines_that_ask_or_list_clauses_head_the_story_below_them() -> None:
    """A line the shape test reads as text (it ends in ！ or ？, or lists clauses) right above a
    story's byline or 本报讯 dateline is that story's title, not a paragraph of the story before
    (nor is a short headline above a 本报讯 item, which the weights alone took for one)."""
    page = (
        "江川市总工会推出十项服务举措\n\n本报讯(记者 韩雪)近日,江川市总工会推出十项服务职工举措。\n\n"
        "这个冬天不太冷！\n\n本报讯(通讯员 田野)入冬以来,南湖县总工会为环卫工人送去御寒物资一千余份。\n\n"
        "职工书屋为何这样火？\n\n本报记者 柯远\n\n走进东岭区职工书屋,不少职工正在安静地阅读。\n\n"
        "稳就业，促发展，工会在行动\n\n本报讯(记者 李图)今年以来,青石市各级工会开展招聘活动六十余场。\n"
    )
    got = segment_page(page).articles
    assert [a.headline for a in got] == [
        "江川市总工会推出十项服务举措",
        "这个冬天不太冷！",
        "职工书屋为何这样火？",
        "稳就业，促发展，工会在行动",
    ]
    assert [len(a.paragraphs) for a in got] == [1, 1, 1, 1]
    # a cut paragraph's fragment above another story's byline stays text: it ends in a comma
    cut = segment_page(
        "南湖县开展技能比武\n\n本报讯(记者 韩雪)连日来,南湖县各企业工会组织职工开展岗位练兵。\n\n"
        "近日,全县举办技能比武,\n\n本报记者 柯远\n\n走进东岭区职工书屋,不少职工正在安静地阅读。\n"
    )
    assert "近日,全县举办技能比武," not in [a.headline for a in cut.articles]


def test_a_subtitle_on_a_line_of_its_own_and_a_round_up_dateline() -> None:
    page = (
        "江川市职业技能培训惠及十二万人次\n——三年新增高技能人才一万八千人\n本报记者 韩雪\n"
        "近日,记者从江川市人社局了解到,三年来该市累计开展职业技能培训十二万人次。\n"
        "工会驿站里的暖心事\n本报综合报道 入冬以来,各地工会驿站为户外劳动者送上热水、热饭和御寒衣物。\n"
    )
    first, second = segment_page(page).articles
    # the —— cue marks the lower line as the subtitle (without it the upper line read as a kicker)
    assert (first.kicker, first.headline, first.subheadline) == (
        None,
        "江川市职业技能培训惠及十二万人次",
        "三年新增高技能人才一万八千人",
    )
    # 本报综合报道 opens a story as 本报讯 does: the line above it is its title
    assert second.headline == "工会驿站里的暖心事" and second.paragraphs[0].startswith("入冬以来")


def test_a_credit_printed_on_two_lines_is_one_byline() -> None:
    page = (
        "江川港区货运量创新高\n\n本报记者 柯远\n\n本报通讯员 田野\n\n"
        "今年前十个月,江川港区完成货物吞吐量一亿二千万吨,同比增长百分之八。\n\n"
        "南湖县职工运动会开幕\n\n本报讯(记者 韩雪)近日,南湖县第五届职工运动会开幕。\n"
    )
    first, second = segment_page(page).articles  # the second line no longer opens an untitled article
    assert first.byline is not None and (first.byline.reporters, first.byline.correspondents) == (["柯远"], ["田野"])
    assert first.headline == "江川港区货运量创新高" and len(first.paragraphs) == 1
    assert second.headline == "南湖县职工运动会开幕"


def test_a_dateline_paragraph_under_a_byline_line_opens_that_story() -> None:
    """本报记者 X on its own line, then 本报北京…电 at the head of the first paragraph (as some papers
    print both): one article, not a titled article without a body and an untitled one."""
    page = (
        "全国职工数字技能大赛决赛开幕\n\n本报记者 王小川\n\n"
        "本报北京11月29日电 第二届全国职工数字技能大赛决赛29日在北京开幕,八百余名选手同场竞技。\n\n"
        "本届大赛设置人工智能训练师、工业互联网运维员等十个赛项。\n\n"
        "江川港区货运量创新高\n\n本报讯(记者 柯远)今年前十个月,江川港区完成货物吞吐量一亿二千万吨。\n"
    )
    first, second = segment_page(page).articles
    assert first.headline == "全国职工数字技能大赛决赛开幕" and first.byline is not None
    assert first.byline.reporters == ["王小川"] and len(first.paragraphs) == 2
    assert first.paragraphs[0].startswith("第二届")
    assert second.headline == "江川港区货运量创新高"


def test_a_bracketed_note_after_the_last_sentence_does_not_cut_the_paragraph() -> None:
    for text in ("近日,某地举行比赛。(完)", "近日,某地举行比赛。(据新华社)", "他说:“好。”(韩雪)", "比赛开幕。"):
        assert ends_sentence(text, R), text
    for text in ("近日,某地举行比赛(韩雪)", "比赛开幕,(", "项目总投资2亿元(含配套)"):
        assert not ends_sentence(text, R), text


def test_a_photo_credit_on_its_own_line_does_not_open_an_article() -> None:
    page = (
        "江川港区货运量创新高\n\n本报讯(记者 柯远)今年前十个月,江川港区完成货物吞吐量一亿二千万吨。\n\n"
        "图为江川港集装箱码头一角。\n\n新华社记者 王小川 摄\n\n"
        "港区负责人介绍,新投用的自动化码头提升了装卸效率,\n\n单箱作业时间缩短了三分之一。\n\n"
        "南湖县职工运动会开幕\n\n本报讯(记者 韩雪)近日,南湖县第五届职工运动会开幕。\n"
    )
    first, second = segment_page(page).articles
    assert first.byline is not None and first.byline.reporters == ["柯远"]
    assert first.paragraphs[-1] == "港区负责人介绍,新投用的自动化码头提升了装卸效率,单箱作业时间缩短了三分之一。"
    assert second.headline == "南湖县职工运动会开幕"


def test_a_brief_credited_at_its_end() -> None:
    page = (
        "南湖县职工运动会开幕\n\n本报讯 近日,南湖县第五届职工运动会开幕,两千余名职工参加比赛。(韩雪)\n\n"
        "江川港区货运量创新高\n\n本报讯 今年前十个月,江川港区完成货物吞吐量一亿二千万吨。(记者 柯远 通讯员 田野)\n"
    )
    first, second = segment_page(page).articles
    assert first.byline is not None and first.byline.reporters == ["韩雪"]
    assert first.paragraphs == ["近日,南湖县第五届职工运动会开幕,两千余名职工参加比赛。"]
    assert second.byline is not None and (second.byline.reporters, second.byline.correspondents) == (["柯远"], ["田野"])
    # a bracket after the last sentence that is no credit stays text
    for tail in ("(完)", "(资料来源:国家统计局)", "(图为比赛现场)"):
        assert trailing_credit("近日,某地举行比赛。" + tail, R) is None, tail


def test_an_essay_signed_by_its_author() -> None:
    """文/王某 under an essay's title is its byline (it had become the headline), and the note on the
    author at its end, (作者单位：…), closes it (it had become an article of its own)."""
    page = (
        "车间里的灯光\n\n文/王小川\n\n凌晨四点,车间里的灯光依旧明亮。师傅们守在机床旁,一遍遍校准刀具。\n\n"
        "这样的夜晚,他们已经习以为常。\n\n(作者单位:江川市机械制造厂)\n\n"
        "江川港区货运量创新高\n\n本报讯(记者 柯远)今年前十个月,江川港区完成货物吞吐量一亿二千万吨。\n"
    )
    essay, news = segment_page(page).articles
    assert essay.headline == "车间里的灯光" and essay.byline is not None
    assert (essay.byline.kind, essay.byline.reporters) == ("作者", ["王小川"]) and len(essay.paragraphs) == 2
    assert (news.kicker, news.headline) == (None, "江川港区货运量创新高")
    for line in ("作者的话", "作者简介", "文化强国 工匠在行动"):
        assert parse_standalone_byline(line, R) is None, line


def test_a_commentary_signed_by_the_paper_keeps_its_title() -> None:
    """本报评论员 under a commentary's title is its byline, not its headline (the title above it
    read as a kicker before)."""
    page = (
        "让每一份劳动都被尊重\n\n本报评论员\n\n"
        "劳动创造价值,也创造美好生活。各地工会把关心职工的工作做到细处、落到实处。\n\n"
        "尊重劳动,需要制度保障,也需要全社会的共同努力。\n\n"
        "南湖市新建十座职工驿站\n\n本报讯(记者 周青禾)今年南湖市新建职工驿站十座,为户外劳动者提供服务。\n"
    )
    first, second = segment_page(page).articles
    assert (first.kicker, first.headline) == (None, "让每一份劳动都被尊重")
    assert first.byline is not None and first.byline.kind == "本报评论员" and len(first.paragraphs) == 2
    assert second.headline == "南湖市新建十座职工驿站"


def test_editor_lines_as_other_papers_print_them() -> None:
    for line in (
        "本版责编：韩雪 版式：田野",
        "责编：韩雪",
        "版式设计：田野",
        "美术编辑：柯远",
        "编辑/韩雪",
        "策划：韩雪 统筹：田野",
        "值班编辑：柯远",
        "视觉设计：田野",
        "审核：韩雪",
    ):
        assert classify(split_units(line, R)[0], R) == "editor", line
    for title in ("版式改革让读者耳目一新", "制图师傅的一天", "编辑部里的年轻人", "统筹推进城乡融合发展", "策划案"):
        assert classify(split_units(title, R)[0], R) == "title", title


def test_caption_credit_and_decks() -> None:
    assert parse_caption("11月20日,职工厨艺大赛在市职工文化宫举行。 郑子衡摄", R) == (True, "郑子衡")
    assert parse_caption("户外劳动者在服务站休息。 本报记者 林子墨 摄/东海日报", R) == (True, "林子墨")
    assert parse_caption("职工们纷纷表示收获很大。", R) == (False, None)
    assert parse_caption("工人们在车间里忙碌。(新华社记者 张小明 摄)", R) == (True, "张小明")
    assert parse_caption("工人们在车间里忙碌。 张小明/摄", R) == (True, "张小明")
    # a photo credit printed on a line of its own under its caption is no byline (it opened an article)
    for line in ("新华社记者 张小明 摄", "本报记者 张小明 摄", "张小明 摄"):
        assert parse_standalone_byline(line, R) is None, line
    # credits and sources as other papers print them; the credit before the name names no one here
    for line in (
        "工人们在车间里忙碌。 摄影：张小明",
        "工人们在车间里忙碌。 图/张小明",
        "工人们在车间里忙碌。 资料图",
        "工人们在车间里忙碌。 图片由江川钢铁公司提供",
    ):
        assert parse_caption(line, R) == (True, None), line
    for line in ("他说:“这是我们的蓝图。”", "项目总投资2亿元,详见附图", "图说新闻"):
        assert parse_caption(line, R) == (False, None), line
    assert assign_decks(["小车间里的大工匠", "记江川市机械制造厂高级技师林某"], R) == (
        None,
        "小车间里的大工匠",
        "记江川市机械制造厂高级技师林某",
    )
    assert assign_decks(["江川市总推行一站式服务 困难职工帮扶更精准", "有事找工会"], R) == (
        "江川市总推行一站式服务 困难职工帮扶更精准",
        "有事找工会",
        None,
    )


BRIEFS = (
    "x1 N 一线故事\n"
    "a1 T 青山县开展农民工工资支付专项检查\n"
    "a1 P «本报讯|本报讯 (记者{r:何远舟})»近日,青山县人社局开展专项检查,督促发放工资360万元。\n"
    "a2 T 临江区举办职工篮球联赛\n"
    "a2 P «本报讯|本报讯 (通讯员{c:孙岚})»11月15日,临江区职工篮球联赛开赛。\n"
)


def test_briefs_page_and_a_configured_banner() -> None:
    page = render(BRIEFS)
    got = segment_page(page.text, R.for_paper(("一线故事",)))
    assert got.articles == page.gold.articles and got.blocks == page.gold.blocks


def test_rule_baseline_takes_a_short_line_above_a_title_at_the_top_for_a_banner() -> None:
    page = render(BRIEFS)
    got = segment_page(page.text, method="rules")
    assert got.articles == page.gold.articles and got.blocks == page.gold.blocks


def test_reading_guide_is_a_block_attached_to_its_article() -> None:
    page = render(
        "a1 T 小巷暖屋里的工会温度\n"
        "a1 G 阅 读 提 示\n"
        "a1 G+ 一条小巷、一间暖屋,江川市把工会服务做进了街巷里。\n"
        "a1 B:本报记者 本报记者 {r:韩雪}\n"
        "a1 P 傍晚时分,老城区的职工暖屋亮起了灯。\n"
    )
    got = segment_page(page.text)
    assert got.blocks == page.gold.blocks and got.blocks[0].article == 0
    assert got.articles == page.gold.articles


@pytest.mark.parametrize("header", ["【导读】", "■阅读提示", "内容提要", "编者的话"])
def test_a_reading_guide_headed_as_other_papers_head_it(header: str) -> None:
    page = render(
        "a1 T 小巷暖屋里的工会温度\n"
        f"a1 G {header}\n"
        "a1 G+ 一条小巷、一间暖屋,江川市把工会服务做进了街巷里。\n"
        "a1 B:本报记者 本报记者 {r:韩雪}\n"
        "a1 P 傍晚时分,老城区的职工暖屋亮起了灯。\n"
    )
    got = segment_page(page.text)
    assert got.blocks == page.gold.blocks and got.articles == page.gold.articles


def test_a_reading_guide_cut_by_a_column_end_keeps_all_its_text() -> None:
    """The guide's text runs on into the next block when a column end cuts its sentence; the
    article below it starts at its byline, not at the guide's second half."""
    page = render(
        "a1 T 山村小学有了第一支职工合唱团\n"
        "a1 G 阅 读 提 示\n"
        "a1 G+ 合唱团的二十名团员都是学校的后勤职工,他们每周二晚上在礼堂排\n"
        "a1 G+ 练,一年里登台演出了六次。\n"
        "a1 B:本报记者 本报记者 {r:韩雪}\n"
        "a1 P 周二晚上七点,学校礼堂里准时响起了歌声。\n"
        "a1 P 团长是学校食堂的厨师,他说唱歌让大家更像一家人。\n"
    )
    got = segment_page(page.text)
    assert got.blocks == page.gold.blocks and got.blocks[0].text.endswith("登台演出了六次。")
    assert got.articles == page.gold.articles


def test_bad_input_gives_an_empty_result_with_a_reason() -> None:
    assert segment_page("").warnings == ["empty page"]
    assert segment_page("\n\n   \n").articles == []
    noise = segment_page("@@@@ #### %%%%\n\n!!!!")
    assert noise.articles == [] or all(a.paragraphs for a in noise.articles)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(categories=["Lo", "Nd", "Po", "Zs"]), min_size=1, max_size=60), max_size=25)
)
def test_any_page_is_partitioned_exactly_once(lines: list[str]) -> None:
    text = "\n\n".join(lines)
    got = segment_page(text)
    covered = [i for a in got.articles for i in _covered(a.spans, text)]
    covered += [i for b in got.blocks for i in _covered(b.spans, text)]
    assert sorted(covered) == [i for i, ch in enumerate(text) if not ch.isspace()]


def test_inline_continuation_markers_are_recorded_and_removed_from_the_text() -> None:
    text = (
        "南湖市提高最低工资标准\n\n(上接第1版)自明年1月1日起,全市最低工资标准提高至2300元。\n\n"
        "人社局表示,将加强督促检查。(下转第6版)\n"
    )
    [art] = segment_page(text).articles
    assert (art.continued_from, art.continued_to) == (1, 6)
    assert art.paragraphs == ["自明年1月1日起,全市最低工资标准提高至2300元。", "人社局表示,将加强督促检查。"]


def test_a_5mb_page_completes_and_still_partitions_the_text() -> None:
    page = (ROOT / "samples" / "issues" / "grrb" / "2026-11-18" / "01.txt").read_text(encoding="utf-8")
    text = page * (5 * 1024 * 1024 // len(page.encode("utf-8")) + 1)
    got = segment_page(text)
    assert len(text.encode("utf-8")) >= 5 * 1024 * 1024
    assert got.articles and not got.warnings
    covered = sum(e - s for a in got.articles for s, e in a.spans) + sum(e - s for b in got.blocks for s, e in b.spans)
    assert covered <= len(text)


def test_decorated_bylines_and_exclaimed_headlines() -> None:  # the rule baseline
    text = (
        "这个冬天不太冷!\n\n■本报记者 张小明\n\n近日,江川市总工会开展送温暖活动,走访慰问困难职工200户。\n\n"
        "为职工办实事\n\n□本报讯 (记者何远舟)11月18日,北川县总工会启动活动。\n"
    )
    first, second = segment_page(text, method="rules").articles
    assert (first.headline, first.byline.kind, first.byline.reporters) == ("这个冬天不太冷!", "本报记者", ["张小明"])
    assert (second.headline, second.byline.reporters) == ("为职工办实事", ["何远舟"])
    assert second.paragraphs == ["11月18日,北川县总工会启动活动。"]


def test_a_papers_banner_vocabulary_marks_its_banners_anywhere_on_the_page() -> None:
    text = (
        "南湖市举办职工书画展\n\n本报讯 (记者唐一鸣)11月16日,南湖市职工书画展开幕。\n\n一线故事\n\n"
        "海川港集团表彰岗位能手\n\n本报讯 (记者沈书航)日前,海川港集团表彰100名岗位能手。\n"
    )
    plain = segment_page(text)
    assert plain.articles[1].kicker == "一线故事" and not plain.blocks  # a kicker printed on its own line
    with_vocab = segment_page(text, R.for_paper(("一线故事",)))
    assert [b.text for b in with_vocab.blocks if b.kind.value == "banner"] == ["一线故事"]
    assert with_vocab.articles[1].kicker is None and with_vocab.articles[1].headline == "海川港集团表彰岗位能手"


def test_the_fast_decoder_decides_as_the_feature_dictionaries_do() -> None:
    """``decide`` scores candidates from the model's compiled tables; ``Model.choose`` scores the
    feature dictionaries training fits on. Same pages, same splits."""
    from pipeline.evaluation.pagegen import generated_pages
    from pipeline.segmentation.scored import segment_scored
    from pipeline.segmentation.training import bank_rules

    rules = bank_rules()
    pages = [p.page.text for p in generated_pages("all")[::3]]
    pages += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples" / "issues").rglob("*.txt"))[:6]]
    for text in pages:
        assert segment_scored(text, rules) == segment_scored(text, rules, reference=True)


def test_the_join_evidence_is_jiebas_best_segmentation() -> None:
    """``suffix_logps`` is jieba's route (``get_DAG`` + ``calc``) computed for every suffix at once."""
    from pipeline.segmentation.evidence import join_gain, suffix_logps
    from pipeline.text.tokenizer import plain_tokenizer

    tok = plain_tokenizer()
    for text in ("发放帮扶资金460万元", "服务水平", "职工服务中心", "他说", "金", "①②"):
        for k in range(len(text)):
            route: dict[int, tuple[float, int]] = {}
            tok.calc(text[k:], tok.get_DAG(text[k:]), route)
            assert abs(suffix_logps(text)[k] - route[0][0]) < 1e-9
    assert join_gain("累计发放帮扶资", "金460万元。") > 0  # 资金 runs across the cut
    assert join_gain("工作完成了。", "他说") == 0.0  # no Han character on the left edge


def test_the_edge_words_tag_is_the_taggers() -> None:
    """``_edge_tag`` runs the tagger's HMM only on the unknown run at the edge; the tag is the one
    ``pos_tokenizer().tag`` gives the first / last word of the whole piece."""
    from pipeline.segmentation.evidence import _edge_tag
    from pipeline.text.tokenizer import pos_tokenizer

    pieces = ["主席周青禾", "表示,江川市", "帮扶资", "金460万元", "2026年“技", "本报记者 马", "APP下载", "。", " "]
    page = (ROOT / "samples" / "issues" / "grrb" / "2026-11-18" / "01.txt").read_text(encoding="utf-8")
    pieces += [line.strip()[:6] for line in page.splitlines() if line.strip()]
    pieces += [line.strip()[-6:] for line in page.splitlines() if line.strip()]
    for piece in pieces:
        tagged = pos_tokenizer().tag(piece)
        for last in (False, True):
            want = (tagged[-1] if last else tagged[0])[1] if tagged else "x"
            assert _edge_tag(piece, last) == want, (piece, last)
