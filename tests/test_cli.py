"""The command line: help everywhere, clean errors, data commands on a real database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.main import get_command

from pipeline.cli import app


def _commands():
    root = get_command(app)
    out = []
    for name, cmd in root.commands.items():
        if hasattr(cmd, "commands"):
            out += [[name, sub] for sub in cmd.commands]
        out.append([name])
    return out


def veille(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          input=stdin, timeout=300)


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_every_command_has_help_with_an_example(path):
    result = veille(*path, "-h")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "Example" in result.stdout


def test_bad_setting_is_one_line_and_exit_2():
    result = veille("--set", "store.paht=x", "migrate")
    assert result.returncode == 2
    assert "E102" in result.stderr and "store.paht" in result.stderr and "Traceback" not in result.stderr


def test_unknown_query_lists_the_available_ones(nightly_run):
    settings, _ = nightly_run
    result = veille("query", "nope", "--db", settings["store.path"])
    assert result.returncode == 2 and "coverage_by_day" in result.stderr


def test_query_coverage_by_day_as_json(nightly_run, gold):
    settings, _ = nightly_run
    result = veille("query", "coverage_by_day", "--db", settings["store.path"], "--format", "json",
                    "--param", "outlet=apc")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and {r["outlet_id"] for r in rows} == {"apc"}
    per_day = {}
    for g in gold:
        if g["outlet"] == "apc" and g["served"] and g["language"] == "fr" and not {"missing_404", "empty_body"} & set(g["special"]):
            per_day[g["published_date"]] = per_day.get(g["published_date"], 0) + 1
    got = {r["day"]: r["articles"] for r in rows}
    assert sum(got.values()) == sum(per_day.values())


def test_extract_json_on_a_corpus_page(gold):
    from pathlib import Path

    g = next(x for x in gold if x["served"] and not x["special"] and x["language"] == "fr")
    site = Path(__file__).resolve().parents[1] / "corpus" / "site"
    manifest = json.loads((site / "manifest.json").read_text())
    file = next(e["file"] for e in manifest["entries"] if e["url"] == g["url"])
    result = veille("extract", str(site / file), "--url", g["url"], "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == g["title"] and data["language"] == "fr"
    assert all(snippet in data["text"] for snippet in g["must_contain"][:2])


def test_annotate_reads_stdin(tmp_path):
    # A fresh clone has no trained models: annotate trains the bundled ones where the settings point.
    bundled = tmp_path / "bundled"
    result = veille("--set", f"nlp.bundled_dir={bundled}", "annotate", "-", "--json",
                    stdin="Selon David Sacks, DeepSeek a distillé les modèles d'OpenAI.")
    assert result.returncode == 0, result.stderr
    assert (bundled / "stance" / "weights.safetensors").exists()
    data = json.loads(result.stdout)
    assert set(data["models"]) == {"sentiment", "stance"} and data["sentences"][0]["stance"]["accusation"]["label"]
    ents = {e["actor_id"] for e in json.loads(result.stdout)["entities"]}
    assert {"david_sacks", "deepseek", "openai"} <= ents
