"""jieba's part-of-speech HMM decoder, same results, less work.

jieba.posseg decodes runs of characters it does not know (most often names) with a Viterbi over
~250 (boundary, tag) states, and for every state it scores *every* previous state — including the
ones that have no transition into it (score -inf, never the maximum). That inner loop is most of
the time of POS tagging (docs/benchmarks.md). Here each state only scores the previous states
that can reach it, without building a generator and a tuple per pair. The arithmetic is the same
expression in the same order (``V + trans + emit``) and ties break the same way (largest previous
state), so the route is identical; ``tests/unit/test_viterbi.py`` checks it against jieba's
decoder on every sample and golden text and on random strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def _best(prev: list[tuple[State, dict[State, float], float]], y: State, emit: float) -> tuple[float, Any] | None:
    """max over the previous states with a transition into ``y`` of (V + trans + emit, state)."""
    best: tuple[float, Any] | None = None
    for y0, targets, score in prev:
        p = targets.get(y)
        if p is not None:  # a previous state with no transition into y scores -inf: never the max
            cand = (score + p + emit, y0)
            if best is None or cand > best:
                best = cand
    return best


def viterbi(obs: str) -> tuple[float, list[State]]:
    """Same contract as ``jieba.posseg.viterbi.viterbi(obs, char_state_tab_P, start_P, trans_P, emit_P)``."""
    all_states = trans_P.keys()
    v: dict[State, float] = {}
    paths: list[dict[State, Any]] = [{}]
    first = obs[0]
    for y in char_state_tab_P.get(first, all_states):
        v[y] = start_P[y] + emit_P[y].get(first, MIN_FLOAT)
        paths[0][y] = ""
    for t in range(1, len(obs)):
        char = obs[t]
        prev = [(y0, trans_P[y0], score) for y0, score in v.items()]
        nv: dict[State, float] = {}
        path: dict[State, Any] = {}
        # jieba scores the states allowed for ``char`` that some previous state can reach
        # (``char_state_tab ∩ successors``); a state no previous one reaches gets no candidate here
        for y in char_state_tab_P.get(char, all_states):
            best = _best(prev, y, emit_P[y].get(char, MIN_FLOAT))
            if best is not None:
                nv[y], path[y] = best
        if not nv:  # none of them reachable: jieba falls back to every reachable state, else all
            expected: set[State] = set()
            for _, targets, _ in prev:
                expected.update(targets)
            for y in expected or all_states:
                emit = emit_P[y].get(char, MIN_FLOAT)
                best = _best(prev, y, emit)
                if best is None:  # jieba's all -inf row, where the largest previous state wins
                    best = max((score + MIN_INF + emit, y0) for y0, targets, score in prev if targets)
                nv[y], path[y] = best
        v = nv
        paths.append(path)
    prob, state = max((p, y) for y, p in v.items())
    route: list[Any] = [None] * len(obs)
    for i in range(len(obs) - 1, -1, -1):
        route[i] = state
        state = paths[i][state]
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
