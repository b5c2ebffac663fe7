"""The learned entity recogniser (pipeline/enrichment/ner.py): the packaged model, spans, hard negatives."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from pipeline.enrichment import extract
from pipeline.enrichment.ner import features, recognise, spans_from_tags
from pipeline.enrichment.ner_train import read_bmes, score, split
from pipeline.text.tokenizer import pos_tokenizer

ISSUE = date(2026, 11, 20)
NEGATIVES = Path(__file__).with_name("data") / "ner_hard_negatives.txt"


def _negatives() -> list[tuple[str, str]]:
    rows = []
    for line in NEGATIVES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, sentence = line.split("\t")
            rows.append((word, sentence))
    return rows


def test_the_model_ships_inside_the_package() -> None:
    import pycrfsuite

    model = resources.files("pipeline.enrichment").joinpath("models/ner_msra.crfsuite")
    assert model.is_file()
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    assert {f"{p}-{t}" for p in "BMES" for t in ("PER", "LOC")} | {"B-ORG", "M-ORG", "E-ORG", "O"} <= set(
        tagger.labels()
    )


def test_a_new_users_sentence() -> None:
    text = "6月1日，张伟代表深圳市腾讯计算机系统有限公司在杭州市西湖区宣布，向浙江省红十字会捐赠620万元"
    ex = extract(text, ISSUE)
    found = {(e.text, e.type.value) for e in ex.entities}
    assert ("张伟", "PER") in found
    assert ("深圳市腾讯计算机系统有限公司", "ORG") in found
    assert ("浙江省红十字会", "ORG") in found
    places = [e for e in ex.entities if e.type.value == "LOC"]
    start = text.index("杭州市西湖区")
    covered = {i for e in places for i in range(e.start, e.end)}
    assert set(range(start, start + len("杭州市西湖区"))) <= covered
    hangzhou = next(e for e in places if e.text.startswith("杭州"))
    assert hangzhou.place is not None and hangzhou.place.province == "浙江省"
    # no place inside an organisation name, no entity in the numbers and dates
    orgs = [e for e in ex.entities if e.type.value == "ORG"]
    assert not any(o.start <= p.start and p.end <= o.end for o in orgs for p in places)
    assert [(m.value, m.unit) for m in ex.metrics] == [(6_200_000, "元")]
    assert [d.text for d in ex.dates] == ["6月1日"]
    assert all(text[e.start : e.end] == e.text for e in ex.entities)


@pytest.mark.parametrize(("word", "sentence"), _negatives())
def test_hard_negatives_are_not_entities(word: str, sentence: str) -> None:
    start = sentence.index(word)
    end = start + len(word)
    for e in extract(sentence, ISSUE).entities:
        assert not (e.start < end and start < e.end), (e.text, e.type.value, word)


def test_spans_from_bmes_tags() -> None:
    tags = ["B-PER", "E-PER", "O", "S-LOC", "B-ORG", "M-ORG", "E-ORG", "B-LOC", "M-LOC", "O", "M-PER"]
    assert spans_from_tags(tags, 10) == [
        (10, 12, "PER"),
        (13, 14, "LOC"),
        (14, 17, "ORG"),
        (17, 19, "LOC"),
        (20, 21, "PER"),
    ]


def test_one_feature_tuple_per_character_and_lines_tagged_apart() -> None:
    text = "工会主席刘建平说，\n２０２６年贵州省总工会"
    toks = pos_tokenizer().tag(text)
    feats = features(text, toks)
    assert len(feats) == len(text)
    assert feats[text.index("２")][0] == "c0"  # digits folded, full-width normalised
    assert all(s[1] != "\n" and text[s[0] : s[1]].strip() == text[s[0] : s[1]] for s in recognise(text, toks))


def test_training_helpers_on_a_hand_written_corpus() -> None:
    corpus = "张 B-PER\n伟 E-PER\n到 O\n贵 B-LOC\n阳 E-LOC\n\n" * 10
    sentences = read_bmes(corpus)
    assert len(sentences) == 10 and sentences[0] == ("张伟到贵阳", ["B-PER", "E-PER", "O", "B-LOC", "E-LOC"])
    train, dev = split(sentences, 5)
    assert (len(train), len(dev)) == (8, 2)
    gold = [tags for _, tags in dev]
    pred = [["B-PER", "E-PER", "O", "O", "O"], ["B-PER", "E-PER", "O", "B-LOC", "E-LOC"]]
    figures = score(gold, pred)
    assert figures["PER"]["f1"] == 1.0
    assert (figures["LOC"]["precision"], figures["LOC"]["recall"]) == (1.0, 0.5)
    assert figures["ALL"]["gold"] == 4


def test_place_boundaries_follow_the_division_table() -> None:
    from pipeline.enrichment.ner import _places_whole
    from pipeline.enrichment.rules import divisions

    text = "在吉林省延边朝鲜族自治州和深圳市、中美"
    spans = [(1, 6, "LOC"), (6, 12, "LOC"), (13, 15, "LOC"), (17, 18, "LOC"), (18, 19, "LOC")]
    assert _places_whole(text, spans, divisions()[0]) == [
        (1, 12, "LOC"),
        (13, 16, "LOC"),
        (17, 18, "LOC"),
        (18, 19, "LOC"),
    ]
