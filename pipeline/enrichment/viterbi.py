"""jieba's part-of-speech HMM decoder, same results, less work.

jieba.posseg decodes runs of characters it does not know (most often names) with a Viterbi over
~250 (boundary, tag) states, and for every state it scores *every* previous state — including the
ones that have no transition into it (score -inf, never the maximum). That inner loop is most of
the time of POS tagging (docs/benchmarks.md). Here each state only looks at the previous states
that can reach it, and the per-step successor sets are precomputed. The arithmetic is the same
expression in the same order (``V + trans + emit``) and ties break the same way (largest previous
state), so the route is identical; ``tests/unit/test_viterbi.py`` checks it against jieba's
decoder on every sample and golden text and on random strings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from jieba.posseg import POSTokenizer, char_state_tab_P, emit_P, pair, start_P, trans_P
from jieba.posseg.viterbi import MIN_FLOAT, MIN_INF

State = tuple[str, str]


@functools.cache
def _tables() -> tuple[dict[State, list[tuple[State, float]]], dict[State, frozenset[State]]]:
    incoming: dict[State, list[tuple[State, float]]] = {}
    for y0, targets in trans_P.items():
        for y, p in targets.items():
            incoming.setdefault(y, []).append((y0, p))
    successors = {x: frozenset(targets) for x, targets in trans_P.items()}
    return incoming, successors


def viterbi(obs: str) -> tuple[float, list[State]]:
    """Same contract as ``jieba.posseg.viterbi.viterbi(obs, char_state_tab_P, start_P, trans_P, emit_P)``."""
    incoming, successors = _tables()
    all_states = trans_P.keys()
    v: dict[State, float] = {}
    paths: list[dict[State, Any]] = [{}]
    first = obs[0]
    for y in char_state_tab_P.get(first, all_states):
        v[y] = start_P[y] + emit_P[y].get(first, MIN_FLOAT)
        paths[0][y] = ""
    for t in range(1, len(obs)):
        char = obs[t]
        prev_states = [x for x in v if successors[x]]
        expected: set[State] = set()
        for x in prev_states:
            expected |= successors[x]
        obs_states = set(char_state_tab_P.get(char, all_states)) & expected
        if not obs_states:
            obs_states = expected if expected else set(all_states)
        nv: dict[State, float] = {}
        path: dict[State, Any] = {}
        for y in obs_states:
            emit = emit_P[y].get(char, MIN_FLOAT)
            best: tuple[float, Any] | None = None
            for y0, p in incoming.get(y, ()):
                if y0 in v:
                    cand = (v[y0] + p + emit, y0)
                    if best is None or cand > best:
                        best = cand
            if best is None:  # nothing can reach y: jieba's -inf row, the largest state wins the tie
                best = max((v[y0] + MIN_INF + emit, y0) for y0 in prev_states)
            nv[y], path[y] = best
        v = nv
        paths.append(path)
    prob, state = max((p, y) for y, p in v.items())
    route: list[Any] = [None] * len(obs)
    for i in range(len(obs) - 1, -1, -1):
        route[i] = state
        state = paths[i][state]
    return prob, route


class FastPOSTokenizer(POSTokenizer):  # type: ignore[misc]
    """jieba's POSTokenizer with the decoder above (overrides the name-mangled private ``__cut``)."""

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
