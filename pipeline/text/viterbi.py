"""jieba's part-of-speech HMM decoder, same results, less work.

jieba.posseg decodes runs of characters it does not know (most often names) with a Viterbi over
~250 (boundary, tag) states, and for every state it scores *every* previous state in a Python
generator of tuples. That inner loop is most of the time of POS tagging (docs/benchmarks.md) and of
the scored segmenter's edge-word tags on pages it has not seen. Here one step is a few array
operations on the (previous states x states allowed for the character) block of the transition
matrix, a missing transition being -inf as in jieba (``trans_p[y0].get(y, MIN_INF)``). Each element
is the same float expression in the same order (``V + trans + emit``: IEEE additions, so the same
bits), and ties break the same way: states are numbered in *descending* order, so ``argmax`` (the
first maximum) picks the largest previous state, as jieba's ``max`` over ``(score, state)`` tuples
does. ``tests/unit/test_viterbi.py`` checks the route against jieba's decoder on every sample and
golden text and on random strings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
from jieba.posseg import (
    POSTokenizer,
    char_state_tab_P,
    emit_P,
    pair,
    re_eng,
    re_han_detail,
    re_han_internal,
    re_num,
    re_skip_detail,
    re_skip_internal,
    start_P,
    trans_P,
)
from jieba.posseg.viterbi import MIN_FLOAT, MIN_INF

State = tuple[str, str]
Ints = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]

_STATES: list[State] = sorted(trans_P, reverse=True)  # number 0 is the largest state: argmax ties
_INDEX = {y: i for i, y in enumerate(_STATES)}
_TRANS: Floats = np.full((len(_STATES), len(_STATES)), MIN_INF)  # [from, to], -inf: no transition
for _y0, _targets in trans_P.items():
    for _y, _p in _targets.items():
        _TRANS[_INDEX[_y0], _INDEX[_y]] = _p
_TRANS.setflags(write=False)
_REACH = _TRANS > MIN_INF
_START: Floats = np.array([start_P[y] for y in _STATES])
_EMIT = [emit_P[y] for y in _STATES]
_ALL: Ints = np.arange(len(_STATES), dtype=np.intp)


def _emissions(states: Ints, char: str) -> Floats:
    return np.array([_EMIT[i].get(char, MIN_FLOAT) for i in states.tolist()], dtype=np.float64)


@functools.lru_cache(maxsize=1 << 13)
def _allowed(char: str) -> tuple[Ints, Floats]:
    """The states jieba allows for ``char`` (``char_state_tab_P``, else every state), ascending
    numbers (descending states), and their emission log-probabilities of ``char``."""
    states = char_state_tab_P.get(char)
    idx = _ALL if states is None else np.unique(np.array([_INDEX[y] for y in states], dtype=np.intp))
    emit = _emissions(idx, char)
    emit.setflags(write=False)
    return idx, emit


def viterbi(obs: str) -> tuple[float, list[State]]:
    """Same contract as ``jieba.posseg.viterbi.viterbi(obs, char_state_tab_P, start_P, trans_P, emit_P)``."""
    cur, emit = _allowed(obs[0])
    v = _START[cur] + emit
    back: list[Ints] = []  # per step, each state's previous state (by number)
    for t in range(1, len(obs)):
        prev = cur
        char = obs[t]
        cur, emit = _allowed(char)
        # jieba scores the states allowed for ``char`` that some previous state can reach
        cand = v[:, None] + _TRANS[prev[:, None], cur] + emit
        top = cand.max(axis=0)
        ok = top > MIN_INF  # a reachable state scores finite: no score or emission is -inf
        if ok.all():
            arg = cand.argmax(axis=0)
        elif ok.any():
            cur, cand, top = cur[ok], cand[:, ok], top[ok]
            arg = cand.argmax(axis=0)
        else:  # none of them reachable: jieba falls back to every reachable state
            cur = np.flatnonzero(_REACH[prev].any(axis=0))
            cand = v[:, None] + _TRANS[prev[:, None], cur] + _emissions(cur, char)
            top = cand.max(axis=0)
            arg = cand.argmax(axis=0)
        ptr = np.empty(len(_STATES), dtype=np.intp)
        ptr[cur] = prev[arg]
        back.append(ptr)
        v = top
    j = int(v.argmax())
    prob = float(v[j])
    state = int(cur[j])
    route: list[State] = [_STATES[state]] * len(obs)
    for i in range(len(obs) - 2, -1, -1):
        state = int(back[i][state])
        route[i] = _STATES[state]
    return prob, route


Tagged = tuple[str, str, int]  # word, POS tag, start offset


class FastPOSTokenizer(POSTokenizer):  # type: ignore[misc]
    """jieba's POSTokenizer with the decoder above (overrides the name-mangled private ``__cut``),
    and ``tag()``: jieba's ``cut(text)`` (with HMM) as one loop that returns (word, tag, start)
    tuples instead of chained generators of ``pair`` objects — on jieba's own DAG and route
    (``Tokenizer.get_DAG``, ``calc``), with its unknown-run handling step for step."""

    def tag(self, text: str) -> list[Tagged]:
        self.makesure_userdict_loaded()
        out: list[Tagged] = []
        add = out.append
        pos = 0
        for blk in re_han_internal.split(text):
            if not blk:
                continue
            if re_han_internal.match(blk):
                self._tag_dag(blk, pos, out)
            else:
                for x in re_skip_internal.split(blk):
                    if re_skip_internal.match(x):
                        add((x, "x", pos))
                        pos += len(x)
                        continue
                    for xx in x:
                        if re_num.match(xx):
                            add((xx, "m", pos))
                        elif re_eng.match(x):
                            add((xx, "eng", pos))
                        else:
                            add((xx, "x", pos))
                        pos += 1
                continue
            pos += len(blk)
        return out

    def _tag_dag(self, sentence: str, offset: int, out: list[Tagged]) -> None:
        tags = self.word_tag_tab
        n = len(sentence)
        route: dict[int, tuple[float, int]] = {}
        self.tokenizer.calc(sentence, self.tokenizer.get_DAG(sentence), route)  # jieba's own route
        # POSTokenizer.__cut_DAG
        x = 0
        buf = ""
        buf_start = offset
        while x < n:
            y = route[x][1] + 1
            if y - x == 1:
                if not buf:
                    buf_start = offset + x
                buf += sentence[x]
            else:
                if buf:
                    self._flush(buf, buf_start, out)
                    buf = ""
                word = sentence[x:y]
                out.append((word, tags.get(word, "x"), offset + x))
            x = y
        if buf:
            self._flush(buf, buf_start, out)

    def _flush(self, buf: str, start: int, out: list[Tagged]) -> None:
        tags = self.word_tag_tab
        if len(buf) == 1:
            out.append((buf, tags.get(buf, "x"), start))
        elif not self.tokenizer.FREQ.get(buf):
            for word, flag in self._detail(buf):  # POSTokenizer.__cut_detail
                out.append((word, flag, start))
                start += len(word)
        else:
            for i, elem in enumerate(buf):
                out.append((elem, tags.get(elem, "x"), start + i))

    def _detail(self, sentence: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for blk in re_han_detail.split(sentence):
            if re_han_detail.match(blk):
                out.extend((p.word, p.flag) for p in self._POSTokenizer__cut(blk))
            else:
                for x in re_skip_detail.split(blk):
                    if x:
                        out.append((x, "m" if re_num.match(x) else "eng" if re_eng.match(x) else "x"))
        return out

    def _POSTokenizer__cut(self, sentence: str) -> Iterator[Any]:
        _, pos_list = viterbi(sentence)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i][0]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield pair(sentence[begin : i + 1], pos_list[i][1])
                nexti = i + 1
            elif pos == "S":
                yield pair(char, pos_list[i][1])
                nexti = i + 1
        if nexti < len(sentence):
            yield pair(sentence[nexti:], pos_list[nexti][1])
