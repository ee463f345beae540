"""bench/gpu_check.py, the accelerator check, runs on CPU with tiny sizes (so CI covers it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_on_cpu_with_tiny_sizes(tmp_path):
    out = tmp_path / "gpu_check.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--device", "cpu", "--articles", "40",
         "--batch-sizes", "8,32", "--reps", "1", "--epochs", "1", "--transformer", "32,1,2,64",
         "--model-dir", str(tmp_path / "no-model"), "--threads", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    info = json.loads(out.read_text())
    assert info["device"] == "cpu" and info["articles"] == 40
    assert info["student"]["source"].startswith("trained here") and info["student"]["train_articles"] == 40
    assert [r["batch_size"] for r in info["sweep"]] == [8, 32]
    for row in info["sweep"] + info["transformer_sweep"]:
        assert row["articles_per_s"] > 0 and row["tokens_per_s"] > row["articles_per_s"]
        assert row["achieved_tflops"] >= 0 and row["mfu_percent"] < 100
    assert all(r["end_to_end_articles_per_s"] > 0 for r in info["sweep"])
    assert info["tokenizer"]["fast_warm_articles_per_s"] > 0 and info["tokens_per_article"] > 50
    assert "student best" in result.stdout
