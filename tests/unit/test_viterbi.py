"""The faster POS decoder must give jieba's exact output (words and tags), not merely similar."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.tokenizer import jieba_pos_tokenizer, pos_tokenizer

ROOT = Path(__file__).resolve().parents[2]


def _pairs(tok: object, text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in tok.cut(text)]  # type: ignore[attr-defined]


def test_same_words_and_tags_on_every_sample_and_golden_text() -> None:
    files = sorted((ROOT / "samples" / "src").rglob("*.page")) + sorted((ROOT / "tests" / "golden").rglob("*.page"))
    files += sorted((ROOT / "tests" / "golden" / "enrichment").glob("*.gold"))
    assert len(files) > 20
    words = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        expected = _pairs(jieba_pos_tokenizer(), text)
        assert _pairs(pos_tokenizer(), text) == expected, path.name
        words += len(expected)
    assert words > 10_000


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_MIXED = st.one_of(_HAN, st.sampled_from(list("的了是在工会职工李王张欧阳司马0123456789，。、a")))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_MIXED, min_size=1, max_size=40))
def test_same_output_on_random_strings(text: str) -> None:
    assert _pairs(pos_tokenizer(), text) == _pairs(jieba_pos_tokenizer(), text)


def _tagged(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    for p in jieba_pos_tokenizer().cut(text):
        out.append((p.word, p.flag, pos))
        pos += len(p.word)
    return out


def test_tag_is_jiebas_cut_with_offsets_on_every_sample_and_golden_text() -> None:
    files = sorted((ROOT / "samples" / "src").rglob("*.page")) + sorted((ROOT / "tests" / "golden").rglob("*.page"))
    files += sorted((ROOT / "tests" / "golden" / "enrichment").glob("*.gold"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert pos_tokenizer().tag(text) == _tagged(text), path.name


_ANY = st.one_of(_MIXED, st.sampled_from(list(" \\n\\r\\t.#&+_-—·（）【】ABCxyz１２%")))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ANY, min_size=0, max_size=60))
def test_tag_is_jiebas_cut_with_offsets_on_random_strings(text: str) -> None:
    assert pos_tokenizer().tag(text) == _tagged(text)
