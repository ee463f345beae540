"""The ``veille`` application object, global options, output helpers and the console entry point;
the commands live beside it, one module per group (this package's ``__init__`` registers them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ..errors import RunLockedError, VeilleError

app = typer.Typer(
    name="veille", add_completion=False, no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Veille: nightly analysis of French-language media coverage of a dispute.\n\n"
         "Example: veille nightly --set collect.proxy=http://127.0.0.1:8765",
)
console = Console(stderr=True)
out = Console()


class State:
    """Global options, resolved lazily into settings."""

    config: Optional[Path] = None
    overrides: list[str] = []

    def settings(self):
        from ..config import load_settings

        return load_settings(self.config, self.overrides)


state = State()


@app.callback()
def _global(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="User settings file (TOML)."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: --set section.key=value (repeatable)."),
) -> None:
    state.config = config
    state.overrides = list(set_)


def progress_factory(progress: Progress) -> Callable[[str], Callable[[int, int], None]]:
    def factory(name: str) -> Callable[[int, int], None]:
        task = progress.add_task(name, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return update

    return factory


def print_table(columns: list[str], rows: list[tuple], title: str = "") -> None:
    table = Table(title=title or None)
    for c in columns:
        table.add_column(str(c))
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)


def emit(columns: list[str], rows: list[tuple], fmt: str, title: str = "") -> None:
    if fmt == "json":
        out.print_json(json.dumps([dict(zip(columns, r)) for r in rows], default=str, ensure_ascii=False))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print_table(columns, rows, title)


def save_result(result: dict, out_file: Optional[Path], as_json: bool) -> bool:
    """Write an evaluation result to ``out_file`` if given; print it as JSON when asked (True)."""
    if out_file:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), "utf-8")
    if as_json:
        out.print_json(json.dumps(result, ensure_ascii=False, default=str))
    return as_json


def stop_on_sigterm() -> None:
    """systemd and kill send SIGTERM: stop like Ctrl-C so the run row is marked 'interrupted'."""
    import signal

    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, handler)


eval_app = typer.Typer(
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
    help="Measure the pipeline against gold data.\n\nExample: veille eval extraction --json",
)
app.add_typer(eval_app, name="eval")
CHECKOUT = Path(__file__).resolve().parents[2]

models_app = typer.Typer(
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
    help="Sentiment and stance models of the analysis.\n\nExample: veille models train",
)
app.add_typer(models_app, name="models")


def main() -> None:
    """Console entry point: library errors become one-line messages and exit codes."""
    try:
        app(standalone_mode=False)
    except RunLockedError as exc:
        console.print(f"veille: {exc}")
        sys.exit(3)
    except VeilleError as exc:
        console.print(f"veille: error: {exc}")
        sys.exit(2)
    except typer.Abort:
        console.print("veille: aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        console.print("veille: interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and the unexpected
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
