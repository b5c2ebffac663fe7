"""One jieba tokenizer per process, built lazily (jieba builds a prefix dictionary on first use)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

LEXICON = Path(__file__).with_name("lexicon")


@functools.cache
def plain_tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for path in sorted(LEXICON.glob("*.dict.txt")):
        with path.open("rb") as fh:  # a file object: jieba leaves paths it opens unclosed
            tok.load_userdict(fh)
    return tok


@functools.cache
def pos_tokenizer() -> Any:
    import jieba.posseg

    return jieba.posseg.POSTokenizer(plain_tokenizer())


def tokens(text: str) -> list[str]:
    """Search tokens: jieba words without whitespace and punctuation-only tokens."""
    return [w for w in plain_tokenizer().cut(text) if w.strip() and any(ch.isalnum() for ch in w)]
