"""``inkstream`` command line. Every verb has ``--help``.

``app.py`` holds the application and its shared options; the verbs are grouped by who runs them:
``run.py`` (the pipeline), ``ops.py`` (operators), ``dev.py`` (developers and the demo);
``errors.py`` turns any exception into one line and an exit code."""

from __future__ import annotations

from pipeline.cli.app import app

# isort: off
# importing a group registers its verbs, in this order in --help: the pipeline's, operators', developers'
import pipeline.cli.run
import pipeline.cli.ops
import pipeline.cli.dev  # noqa: F401
# isort: on


def main() -> None:
    app()


__all__ = ["app", "main"]
