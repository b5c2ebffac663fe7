"""Article -> EnrichedArticle: entities, metrics, dates, tokens. Pure given the jieba dictionaries."""

from __future__ import annotations

from datetime import date

from pipeline.enrichment.dates import extract_dates
from pipeline.enrichment.entities import Token, count_entities, extract_entities
from pipeline.enrichment.metrics import extract_metrics
from pipeline.enrichment.tokenizer import pos_tokenizer, tokens
from pipeline.models import Article, EnrichedArticle, Extraction, PageText, article_id, issue_id


def pos_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    for pair in pos_tokenizer().cut(text):
        word, flag = pair.word, pair.flag
        out.append((word, flag, pos))
        pos += len(word)
    return out


def extract(text: str, issue_date: date, backend: str = "jieba") -> Extraction:
    """Entities, metrics and dates with offsets into ``text``; ``backend``: jieba (+rules) or lac."""
    toks = pos_tokens(text)
    if backend == "lac":
        from pipeline.enrichment.lac_backend import extract_entities_lac

        entities = extract_entities_lac(text)
    else:
        entities = extract_entities(text, toks)
    return Extraction(
        entities=entities,
        metrics=extract_metrics(text, toks),
        dates=extract_dates(text, issue_date),
    )


def article_text(article: Article) -> str:
    decks = [d for d in (article.kicker, article.headline, article.subheadline) if d]
    return "\n".join([*decks, *article.paragraphs])


def enrich_article(
    article: Article, page: PageText, position: int, paper_name: str, backend: str = "jieba"
) -> EnrichedArticle:
    text = article_text(article)
    found = extract(text, page.issue_date, backend)
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
        tokens=tokens(text),
        text=text,
    )
