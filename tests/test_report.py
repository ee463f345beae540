"""The HTML report, verified in a real headless Chromium: loads without console errors, charts render."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from headless import body_attributes, chromium, load

needs_chromium = pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (apt-get install -y chromium; "
                                                               ".ci/run installs it)")


@pytest.fixture(scope="module")
def report_dir(nightly_run, tmp_path_factory):
    settings, _ = nightly_run
    out = tmp_path_factory.mktemp("report") / "out"
    result = subprocess.run([sys.executable, "-m", "pipeline", "--set", f"store.path={settings['store.path']}",
                             "--set", f"store.snapshot_path={settings['store.snapshot_path']}",
                             "report", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def test_the_nightly_run_writes_the_report_as_its_last_stage(nightly_run):
    settings, result = nightly_run
    index = Path(settings["report.out_dir"]) / "index.html"
    assert result.report_path == str(index) and index.exists()
    assert len(list((index.parent / "charts").glob("*.png"))) == result.counts["report_charts"] == 5


def test_report_content(report_dir, gold):
    html = (report_dir / "index.html").read_text("utf-8")
    for section in ("couverture", "position", "ton", "orateurs", "sante", "reprises", "passages"):
        assert f'id="{section}"' in html
    assert all(o in html for o in {g["outlet"] for g in gold if g["served"]})  # every outlet in the health table
    assert "<script src" not in html and "<link" not in html  # self-contained: works offline


@needs_chromium
def test_report_loads_in_headless_chromium_with_charts_and_no_console_errors(report_dir, tmp_path):
    shot = tmp_path / "shot.png"
    page = load((report_dir / "index.html").as_uri(), screenshot=shot)
    assert page.console == [], page.console
    body = body_attributes(page.dom)
    assert body.get("data-charts") == "ok", body
    assert body["data-charts-loaded"] == "5"
    sizes = [tuple(map(int, s.split("x"))) for s in body["data-charts-sizes"].split()]
    assert len(sizes) == 5 and all(w >= 400 and h >= 150 for w, h in sizes)
    # the screenshot is a rendered page, not a blank one
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(shot)[:, :, :3]
    assert pixels.shape[0] >= 1000
    not_white = (pixels < 0.95).any(axis=2).mean()
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    assert not_white > 0.05 and colours > 50


@needs_chromium
def test_the_check_catches_a_broken_chart_and_a_script_error(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><body><img class="chart" src="charts/missing.png">'
                    "<script>window.addEventListener('load', function () {"
                    "var i = document.querySelector('img.chart');"
                    "document.body.setAttribute('data-charts', i.naturalWidth ? 'ok' : 'broken'); });"
                    "undefinedFunction();</script></body></html>", "utf-8")
    loaded = load(page.as_uri())
    assert body_attributes(loaded.dom).get("data-charts") == "broken"
    assert any("Uncaught ReferenceError" in m for m in loaded.console)
