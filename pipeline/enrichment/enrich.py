"""Article -> EnrichedArticle: entities, metrics, dates, tokens. Pure given the jieba dictionaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pipeline.enrichment.dates import extract_dates
from pipeline.enrichment.entities import Token, count_entities, extract_entities
from pipeline.enrichment.metrics import extract_metrics
from pipeline.enrichment.ner import extract_entities_crf
from pipeline.enrichment.resolve import credits_line, resolve
from pipeline.models import Article, EnrichedArticle, Extraction, PageText, article_id, issue_id
from pipeline.text.tokenizer import pos_tokenizer, search_tokens


def warm_up() -> None:
    """Load jieba's dictionaries and our lexicons now, then move them out of the garbage collector's
    way (``gc.freeze``): a page worker calls this once, so the half a million long-lived objects are
    not re-scanned by every full collection while articles are enriched."""
    import gc

    from pipeline.enrichment.entities import _rules
    from pipeline.enrichment.rules import divisions

    text = "贵州省总工会主席王小明说，今年1月至10月全省新增就业24万余人。"
    extract_entities_crf(text, pos_tokens(text))  # opens the CRF model
    _rules()
    divisions()
    gc.collect()
    gc.freeze()


def pos_tokens(text: str) -> list[Token]:
    """(word, POS tag, start offset) for every jieba word of ``text`` (jieba's ``posseg.cut``)."""
    return pos_tokenizer().tag(text)  # type: ignore[no-any-return]


def extract(text: str, issue_date: date, backend: str = "crf", toks: list[Token] | None = None) -> Extraction:
    """Entities, metrics and dates with offsets into ``text``; ``backend``: crf (the learned
    recogniser, ner.py), jieba (POS tags + rules) or lac. ``toks``: the text's POS tokens when the
    caller already has them."""
    toks = pos_tokens(text) if toks is None else toks
    if backend == "crf":
        entities = extract_entities_crf(text, toks)
    elif backend == "lac":
        from pipeline.enrichment.lac_backend import extract_entities_lac

        entities = extract_entities_lac(text)
    elif backend == "jieba":
        entities = extract_entities(text, toks)
    else:
        raise ValueError(f"unknown entity backend {backend!r} (crf, jieba, lac)")
    return Extraction(
        entities=resolve(text, entities),  # fragments out, canonical names, places in context
        metrics=extract_metrics(text, toks),
        dates=extract_dates(text, issue_date),
    )


def article_text(article: Article) -> str:
    decks = [d for d in (article.kicker, article.headline, article.subheadline) if d]
    return "\n".join([*decks, *article.paragraphs])


def enrich_article(
    article: Article,
    page: PageText,
    position: int,
    paper_name: str,
    backend: str = "crf",
    photographers: Sequence[str] = (),
) -> EnrichedArticle:
    """``photographers``: credits of the captions that belong to the article (runner/steps.py)."""
    text = article_text(article)
    toks = pos_tokens(text)  # one jieba pass serves entities, metrics and the search tokens
    found = extract(text, page.issue_date, backend, toks)
    line, credited = credits_line(article.byline, photographers)
    if line:  # credited persons (role set) point into a credits line after the article text
        base = len(text) + 1
        text = f"{text}\n{line}"
        shifted = [e.model_copy(update={"start": e.start + base, "end": e.end + base}) for e in credited]
        found = found.model_copy(update={"entities": [*found.entities, *shifted]})
    return EnrichedArticle(
        article_id=article_id(page.paper, page.issue_date, page.page, article),
        issue_id=issue_id(page.paper, page.issue_date),
        paper=page.paper,
        paper_name=paper_name,
        issue_date=page.issue_date,
        page=page.page,
        page_name=page.name,
        section=page.section,
        position=position,
        article=article,
        entities=found.entities,
        entity_counts=count_entities(found.entities),
        metrics=found.metrics,
        dates=found.dates,
        tokens=search_tokens(t[0] for t in toks),
        text=text,
    )
