"""`veille serve` for real: a subprocess on a free 127.0.0.1 port, good and bad requests over HTTP,
concurrent requests (LitServe batches them), and the server still serving afterwards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from distillkit import build_teacher_db, tiny_settings

from pipeline.config import load_topic
from pipeline.distill import load_student, train_student
from pipeline.store import open_store

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["OpenAI accuse DeepSeek d'avoir distillé ses modèles sans autorisation, preuves à l'appui.",
         "Le calvados est distillé deux fois dans un alambic normand.",
         "Rien ne prouve que DeepSeek ait copié OpenAI, estiment plusieurs chercheurs. OpenAI dénonce un pillage."]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    build_teacher_db(tmp / "veille.duckdb", limit=80)
    settings = tiny_settings(tmp)
    with open_store(settings["store.path"], read_only=True) as store:
        train_student(store, settings.section("distill"), load_topic("openai_deepseek"), ["fr"],
                      settings["distill.model_dir"])
    port = _free_port()
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--set", f"distill.model_dir={settings['distill.model_dir']}",
         "--set", "distill.device=cpu", "--set", "serve.max_batch_size=8", "--set", "serve.batch_timeout=0.05",
         "--set", "serve.max_text_chars=5000", "--set", "serve.max_texts=16", "serve", "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp / "serve.log").read_text()
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not become healthy"
            time.sleep(0.5)
        yield base, settings
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the workers it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_healthz_reports_the_model_version(server):
    base, settings = server
    config = json.loads((settings.path("distill.model_dir") / "config.json").read_text())
    health = httpx.get(base + "/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["model_version"] == config["version"]


def test_classify_one_and_many_texts(server):
    base, settings = server
    one = httpx.post(base + "/classify", json={"text": TEXTS[0]}, timeout=30)
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["model_name"] == "veille-student" and body["model_version"].startswith("s-")
    assert len(body["predictions"]) == 1
    pred = body["predictions"][0]
    assert 0 <= pred["on_topic_prob"] <= 1
    for head in ("stance", "tone_openai", "tone_deepseek"):
        assert pred[head] in pred[f"{head}_probs"] and abs(sum(pred[f"{head}_probs"].values()) - 1) < 1e-4
    many = httpx.post(base + "/classify", json={"texts": TEXTS}, timeout=30).json()["predictions"]
    expected = load_student(settings["distill.model_dir"], "cpu").predict(TEXTS)
    assert len(many) == 3
    for got, want in zip(many, expected):
        assert got["stance"] == want["stance"] and abs(got["on_topic_prob"] - want["on_topic_prob"]) < 1e-4


def test_concurrent_requests_are_batched_and_answered_each(server):
    base, _ = server

    def call(i: int) -> tuple[int, int, int]:
        texts = TEXTS[: 1 + i % 3]
        r = httpx.post(base + "/classify", json={"texts": texts}, timeout=60)
        return r.status_code, len(r.json().get("predictions", [])), len(texts)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(call, range(24)))
    assert all(status == 200 and got == sent for status, got, sent in results)


@pytest.mark.parametrize("body, status", [
    (b"{not json", 422),
    (b'{"texts": []}', 422),
    (b'{"text": ""}', 422),
    (b'{"text": "   "}', 422),
    (b'{"texts": [1, 2]}', 422),
    (b'{"txt": "typo"}', 422),
    (b'["a", "b"]', 422),
    (b"", 422),
    (json.dumps({"text": "x" * 5001}).encode(), 413),
    (json.dumps({"texts": ["mot"] * 17}).encode(), 413),
], ids=["bad-json", "empty-list", "empty-text", "blank-text", "not-strings", "unknown-field", "not-object",
        "no-body", "oversized-text", "too-many-texts"])
def test_bad_requests_get_4xx_with_a_message_and_the_server_keeps_serving(server, body, status):
    base, _ = server
    r = httpx.post(base + "/classify", content=body, headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == status, r.text
    assert r.json()["error"]
    ok = httpx.post(base + "/classify", json={"text": TEXTS[1]}, timeout=30)
    assert ok.status_code == 200 and len(ok.json()["predictions"]) == 1


def test_wrong_method_is_405(server):
    base, _ = server
    assert httpx.get(base + "/classify", timeout=10).status_code == 405
