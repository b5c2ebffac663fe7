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

from collections.abc import Iterator
from math import log
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
_TRANS: Floats = np.full((len(_STATES), len(_STATES)), MIN_INF)  # [to, from], -inf: no transition
for _y0, _targets in trans_P.items():
    for _y, _p in _targets.items():
        _TRANS[_INDEX[_y], _INDEX[_y0]] = _p
_TRANS.setflags(write=False)
_FLAT = _TRANS.ravel()  # [to * N + from]
_REACH = _TRANS > MIN_INF
_START: Floats = np.array([start_P[y] for y in _STATES])
_EMIT = [emit_P[y] for y in _STATES]
_ALL: Ints = np.arange(len(_STATES), dtype=np.intp)
Allowed = tuple[Ints, Floats, Floats, Ints]  # states, emissions, the same as a column, states * N
_ALLOWED: dict[str, Allowed] = {}  # per character decoded (the first 8,192)


def _emissions(states: Ints, char: str) -> Floats:
    return np.array([_EMIT[i].get(char, MIN_FLOAT) for i in states.tolist()], dtype=np.float64)


def _allowed(char: str) -> Allowed:
    """The states jieba allows for ``char`` (``char_state_tab_P``, else every state), ascending
    numbers (descending states), their emission log-probabilities of ``char`` (also as a column),
    and where their rows start in the flat transition matrix."""
    states = char_state_tab_P.get(char)
    idx = _ALL if states is None else np.unique(np.array([_INDEX[y] for y in states], dtype=np.intp))
    emit = _emissions(idx, char)
    emit.setflags(write=False)
    found = (idx, emit, emit[:, None], idx * len(_STATES))
    if len(_ALLOWED) < 1 << 13:  # bounded: a few KB a character, and most text repeats a few thousand
        _ALLOWED[char] = found
    return found


def viterbi(obs: str) -> tuple[float, list[State]]:
    """Same contract as ``jieba.posseg.viterbi.viterbi(obs, char_state_tab_P, start_P, trans_P, emit_P)``."""
    allowed = _ALLOWED.get
    cur, emit, _, _ = allowed(obs[0]) or _allowed(obs[0])
    v = _START[cur] + emit
    curs = [cur]  # per character, its states (by number)
    back: list[Ints] = []  # per character after the first, each state's previous one (by position)
    for char in obs[1:]:
        prev = cur
        cur, _, emit_col, rows = allowed(char) or _allowed(char)
        # jieba scores the states allowed for ``char`` that some previous state can reach: a row
        # per state, a column per previous state; (trans + V) + emit is (V + trans) + emit
        cand = _FLAT.take(rows[:, None] + prev)
        cand += v
        cand += emit_col
        arg = cand.argmax(axis=1)
        top = cand[_ALL[: len(cur)], arg]
        # A state no previous one reaches scores -inf (no score or emission is -inf): jieba leaves
        # it out; kept here at -inf it never wins a maximum later (every state jieba keeps scores
        # finite) and nothing reads its back pointer.
        if top[top.argmax()] == MIN_INF:  # none reachable: jieba falls back to every reachable state
            cur = np.flatnonzero(_REACH[:, prev[v > MIN_INF]].any(axis=1))  # from jieba's states
            cand = _TRANS[cur[:, None], prev]
            cand += v
            cand += _emissions(cur, char)[:, None]
            arg = cand.argmax(axis=1)
            top = cand[_ALL[: len(cur)], arg]
        curs.append(cur)
        back.append(arg)
        v = top
    j = int(v.argmax())
    prob = float(v[j])
    route: list[State] = [_STATES[0]] * len(obs)
    for i in range(len(obs) - 1, 0, -1):
        route[i] = _STATES[curs[i][j]]
        j = back[i - 1][j]
    route[0] = _STATES[curs[0][j]]
    return prob, route


def _run_edge_tag(run: str, last: bool) -> str:
    """The tag of the first (``last``: last) word ``FastPOSTokenizer.__cut`` reads in a Han run: a
    word ends at an E or S state and takes that state's tag; characters after the last word end
    form one more word, tagged as its first character's state."""
    route = viterbi(run)[1]
    n = len(run)
    if last:
        after = 0  # where the characters after the last word end start
        for i in range(n - 1, -1, -1):
            if route[i][0] in ("E", "S"):
                after = i + 1
                break
        return route[n - 1][1] if after == n else route[after][1]
    for state in route:
        if state[0] in ("E", "S"):
            return state[1]
    return route[0][1]


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

    def edge_tag(self, text: str, last: bool) -> str:
        """The tag of ``tag(text)``'s first (``last``: last) word, ``"x"`` for none, reading only
        the block at that edge: jieba's DAG and route (``get_DAG`` + ``calc``) fused into one
        pass over the block, the same floats (``log(count) - log(total) + best after``, ties to
        the longer word), and the HMM only on the run of single characters at that edge (a word
        or a run elsewhere in the text cannot change the edge word)."""
        tok = self.tokenizer
        if tok.user_word_tag_tab:
            self.makesure_userdict_loaded()
        if re_han_internal.fullmatch(text):  # one block (what ``split`` would find alone)
            blk = text
        else:
            blocks = [b for b in re_han_internal.split(text) if b]
            if not blocks:
                return "x"
            blk = blocks[-1] if last else blocks[0]
        if not re_han_internal.match(blk):
            # punctuation, spaces and symbols: ``tag`` tags all of them "x" (its digits and Latin
            # letters, m and eng, are ASCII, and those are in ``re_han_internal``'s blocks)
            return "x"
        if not tok.initialized:  # ``get_DAG``'s check
            tok.initialize()
        get = tok.FREQ.get
        log_total = log(tok.total)
        n = len(blk)
        best = [0.0] * (n + 1)  # calc's route[k][0]
        end = [0] * n  # route[k][1] + 1: where the word starting at k ends
        for k in range(n - 1, -1, -1):
            i, stop, top = k, 0, 0.0
            count = get(blk[k])
            while count is not None:  # get_DAG's words starting at k: prefixes in FREQ, count > 0
                if count:
                    score = log(count) - log_total + best[i + 1]
                    if not stop or score >= top:  # max over (score, end): a tie goes to the longer
                        stop, top = i + 1, score
                i += 1
                if i == n:
                    break
                count = get(blk[k : i + 1])
            if not stop:  # no word: the character alone, log(FREQ.get(c) or 1) == 0.0
                stop, top = k + 1, 0.0 - log_total + best[k + 1]
            best[k], end[k] = top, stop
        tags = self.word_tag_tab
        # single characters gather into a buffer, flushed together (``_tag_dag``)
        if last:
            starts = [0]
            while end[starts[-1]] < n:
                starts.append(end[starts[-1]])
            j = len(starts)
            while j > 0 and end[starts[j - 1]] - starts[j - 1] == 1:
                j -= 1
            if j == len(starts):
                tag: str = tags.get(blk[starts[-1] :], "x")
                return tag
            buf = blk[starts[j] :]
        else:
            x = 0
            while x < n and end[x] - x == 1:
                x += 1
            if x == 0:
                tag = tags.get(blk[: end[0]], "x")
                return tag
            buf = blk[:x]
        if len(buf) == 1:  # ``_flush``
            tag = tags.get(buf, "x")
            return tag
        if not get(buf):
            if re_han_detail.fullmatch(buf):  # ``_detail`` of one Han run: its HMM words' edge
                return _run_edge_tag(buf, last)
            words = self._detail(buf)
            return (words[-1] if last else words[0])[1]
        tag = tags.get(buf[-1] if last else buf[0], "x")
        return tag

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
