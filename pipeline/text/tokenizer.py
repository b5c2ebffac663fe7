"""One jieba tokenizer per process, built lazily (jieba builds a prefix dictionary on first use)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: the user dictionaries (``*.dict.txt``) are enrichment's vocabulary, kept with its other lexicons
LEXICON = Path(__file__).resolve().parent.parent / "enrichment" / "lexicon"
_USER_TAGS: dict[str, str] = {}  # word -> POS tag from our dictionaries


@functools.cache
def plain_tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for path in sorted(LEXICON.glob("*.dict.txt")):
        with path.open("rb") as fh:  # a file object: jieba leaves paths it opens unclosed
            tok.load_userdict(fh)
    _USER_TAGS.update(tok.user_word_tag_tab)
    return tok


@functools.cache
def pos_tokenizer() -> Any:
    """jieba's POS tagger with the exact, faster HMM decoder of ``viterbi.py``."""
    from pipeline.text.viterbi import FastPOSTokenizer

    return _with_user_tags(FastPOSTokenizer(plain_tokenizer()))


@functools.cache
def jieba_pos_tokenizer() -> Any:
    """Stock ``jieba.posseg`` on the same dictionaries: the benchmark ceiling and the test oracle."""
    import jieba.posseg

    return _with_user_tags(jieba.posseg.POSTokenizer(plain_tokenizer()))


def _with_user_tags(pos: Any) -> Any:
    """jieba hands a tokenizer's user-dictionary tags to the first POSTokenizer built on it only (it
    empties the shared table), so every POS tokenizer gets them from the copy taken at load time."""
    pos.word_tag_tab.update(_USER_TAGS)
    return pos


def search_tokens(words: Iterable[str]) -> list[str]:
    """Search tokens: words without whitespace and punctuation-only tokens."""
    return [w for w in words if w.strip() and any(ch.isalnum() for ch in w)]


def tokens(text: str) -> list[str]:
    """Search tokens of a text (a query): the same part-of-speech segmentation enrichment indexes
    articles with, so a query and an article split a phrase alike."""
    return search_tokens(pair.word for pair in pos_tokenizer().cut(text))
