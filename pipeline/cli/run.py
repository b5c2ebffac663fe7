"""The product's verbs: split, extract, run, index, search, reindex."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape as _escape
from rich.progress import Progress

from pipeline.cli.app import _dump, _fail, _print_table, _settings, app, console
from pipeline.cli.errors import INCOMPLETE, parse_day, require
from pipeline.config import Settings, load_paper
from pipeline.errors import PipelineError


@app.command()
def split(
    page_file: Annotated[Path, typer.Argument(help="a page text file")],
    paper: Annotated[
        str | None,
        typer.Option(help="the paper whose vocabulary (banners) to use; default: the configured default paper"),
    ] = None,
) -> None:
    """Split one page into articles and blocks; prints JSON."""
    from pipeline.errors import InvalidPage
    from pipeline.segmentation import DEFAULT_RULES, segment_page
    from pipeline.sources import decode_page

    try:
        text, _ = decode_page(page_file.read_bytes(), str(page_file), _settings().limits.max_page_bytes)
    except (InvalidPage, OSError) as exc:
        raise _fail(exc, code=2 if isinstance(exc, (FileNotFoundError, IsADirectoryError)) else 1) from exc
    rules = DEFAULT_RULES.for_paper(tuple(load_paper(_settings(), paper).banners))
    _dump(segment_page(text, rules).model_dump(mode="json"))


@app.command()
def extract(
    issue_date: Annotated[str | None, typer.Option("--date", help="issue date (YYYY-MM-DD) for relative dates")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='stdin holds one {"id", "text"} per line')] = False,
) -> None:
    """Entities, metrics and dates of text on stdin; prints JSON (one line per input line with --jsonl)."""
    from pipeline.enrichment import extract as run_extract

    day = parse_day(issue_date, "--date") or datetime.now(UTC).date()
    backend = _settings().enrichment_backend
    if not jsonl:
        _dump(run_extract(sys.stdin.read(), day, backend).model_dump(mode="json"))
        return
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise _fail(ValueError(f'line {n}: expected {{"id", "text"}}: {exc}'), code=2) from exc
        result = {"id": item.get("id"), **run_extract(text, day, backend).model_dump(mode="json")}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


def _dates(settings: Settings, paper: str, day: str | None) -> list[date]:
    from pipeline.sources import source_for

    if day is not None:
        return [parse_day(day, "--date") or date.min]
    cfg = load_paper(settings, paper)
    found = source_for(settings, cfg).available_dates(cfg.id)
    if not found:
        raise _fail(PipelineError(f"no issues of {paper} under {settings.source_root / paper}"))
    return found


@app.command()
def run(
    issue_date: Annotated[str | None, typer.Option("--date", help="one issue date; default: every issue found")] = None,
    source: Annotated[Path | None, typer.Option(help="issue root folder (<root>/<paper>/<date>/NN.txt)")] = None,
    paper: Annotated[str | None, typer.Option(help="paper id (papers/<id>.toml)")] = None,
    site: Annotated[str | None, typer.Option(help="e-paper site base URL (papers with source = http)")] = None,
    workers: Annotated[int, typer.Option(min=0, help="page-processing processes (default: one per core)")] = 0,
    quiet: Annotated[bool, typer.Option(help="print one summary line per issue instead of JSON")] = False,
    index_window: Annotated[int, typer.Option(min=1, help="issues published before they are indexed together")] = 32,
) -> None:
    """Run the pipeline for one or more issues without Airflow (pages in parallel, one process per core).

    Exit 0: every page published and indexed; 3: pages failed or dead-lettered (good ones indexed); 1: failed."""
    from concurrent.futures import ProcessPoolExecutor

    from pipeline.enrichment import warm_up
    from pipeline.runner.backfill import run_issues

    if source is not None:
        if not source.is_dir():
            raise _fail(ValueError(f"--source {source}: no such folder (it holds <paper>/<date>/NN.txt)"), code=2)
        os.environ["INKSTREAM_SOURCE_ROOT"] = str(source.resolve())
    if site is not None:
        if not site.startswith(("http://", "https://")):
            raise _fail(ValueError(f"--site {site!r}: give the site's base URL (http:// or https://)"), code=2)
        os.environ["INKSTREAM_SITE__BASE_URL"] = site
    settings = _settings()
    paper_id = paper or settings.default_paper
    if paper is not None and not (settings.papers_dir / f"{paper}.toml").is_file():
        known = ", ".join(sorted(p.stem for p in settings.papers_dir.glob("*.toml")))
        raise _fail(ValueError(f"--paper {paper!r}: no such paper (known: {known})"), code=2)
    days = _dates(settings, paper_id, issue_date)
    require(settings.kafka.bootstrap_servers, settings.es.url)
    run_id = "cli__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    failed = incomplete = False
    n_workers = workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=n_workers, initializer=warm_up) if n_workers > 1 else None
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"{paper_id}: {len(days)} issue(s)", total=len(days))
            for day, outcome in run_issues(settings, paper_id, days, run_id, pool=pool, index_window=index_window):
                bar.advance(task)
                if isinstance(outcome, PipelineError):
                    console.print(f"[red]{paper_id} {day} failed:[/red] {outcome}")
                    failed = True
                    continue
                for page in outcome.pages:
                    if not page.ok:
                        console.print(f"[yellow]page {page.page} failed:[/yellow] {_escape(str(page.error))}")
                s = outcome.summary
                if s.get("pages_failed") or s.get("dead_letters") or s.get("in_index", 0) < s.get("articles", 0):
                    incomplete = True
                if quiet:
                    s = outcome.summary
                    console.print(
                        f"{s['issue_id']}: {s['articles']} articles, {s['in_index']} indexed, "
                        f"{s['dead_letters']} dead letters"
                    )
                else:
                    _dump(outcome.summary)
    finally:
        if pool is not None:
            pool.shutdown()
    if failed:
        raise typer.Exit(code=1)
    if incomplete:
        console.print("some pages failed or were dead-lettered (see above; `inkstream deadletter list`)")
        raise typer.Exit(code=INCOMPLETE)


@app.command()
def index(
    follow: Annotated[bool, typer.Option("--follow", help="follow the topic with a consumer group (service)")] = False,
) -> None:
    """Index Kafka -> Elasticsearch. With --follow: the long-running indexer service."""
    from pipeline.indexing import follow as follow_topic

    if not follow:
        raise _fail(PipelineError("bounded replays run inside `inkstream run` and the DAG; use --follow"), code=2)
    settings = _settings()
    require(settings.kafka.bootstrap_servers, settings.es.url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_id = "indexer__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    try:
        follow_topic(
            settings,
            run_id,
            on_batch=lambda r: console.print(
                f"indexed {r.indexed}, deleted {r.deleted}, dead-lettered {r.dead_lettered}"
            ),
        )
    except KeyboardInterrupt:
        console.print("stopped")
    except PipelineError as exc:
        raise _fail(exc) from exc


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Chinese text, a name, an organisation… ('' = everything)")],
    size: Annotated[int, typer.Option(min=0, max=10_000, help="how many hits")] = 10,
    date_from: Annotated[str | None, typer.Option("--from", help="issue date from (YYYY-MM-DD)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="issue date to (YYYY-MM-DD)")] = None,
    person: Annotated[str | None, typer.Option(help="only articles naming this person")] = None,
    org: Annotated[str | None, typer.Option(help="only articles naming this organisation (or its short name)")] = None,
    place: Annotated[str | None, typer.Option(help="only articles naming this place")] = None,
    paper: Annotated[str | None, typer.Option(help="only this paper id")] = None,
) -> None:
    """Print matching headlines with issue date, page and a highlighted snippet."""
    from pipeline.indexing import client
    from pipeline.indexing import search as index_search

    settings = _settings()
    date_from, date_to = (str(d) if d else None for d in (parse_day(date_from, "--from"), parse_day(date_to, "--to")))
    require(es=settings.es.url)
    filters = index_search.SearchFilters(date_from, date_to, person, org, place, paper)
    es = client.make_client(settings.es)
    try:
        hits = list(index_search.search(es, settings.es, query, size, filters))
    except PipelineError as exc:
        raise _fail(exc) from exc
    finally:
        es.close()
    _print_table(
        f"{len(hits)} hit(s) for {query!r}",
        ("date", "page", "headline", "snippet"),
        [
            (
                str(h.get("issue_date")),
                ",".join(map(str, h.get("pages") or [h.get("page")])),
                h.get("headline") or "—",
                h.get("snippet") or "",
            )
            for h in hits
        ],
    )
    if not hits:
        raise typer.Exit(code=3)


@app.command()
def reindex(
    version: Annotated[int, typer.Option("--to-version", help="the new template version N (index <alias>-vN)")],
    drop_old: Annotated[bool, typer.Option(help="delete the old index after the swap")] = False,
) -> None:
    """Move the alias to a new index version with no downtime: create, copy, swap the alias."""
    from pipeline.indexing import client

    settings = _settings()
    require(es=settings.es.url)
    es = client.make_client(settings.es)
    try:
        _dump(client.reindex(es, settings.es, version, drop_old))
    except PipelineError as exc:
        raise _fail(exc) from exc
    finally:
        es.close()
