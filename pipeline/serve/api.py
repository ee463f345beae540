"""``POST /classify`` and ``GET /healthz`` on LitServe.

Requests are validated by FastAPI (a pydantic model built from the [serve] limits) *before* they
reach LitServe's queue: a bad request gets a 4xx with a message and never joins a batch, so it
cannot fail the good requests batched with it. LitServe groups concurrent requests into one
``predict`` call (``max_batch_size`` / ``batch_timeout``); each request may carry many texts, and the
batch is flattened into one length-bucketed pass of the student.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the request model from the real
# annotation of ``decode_request`` at runtime.

from pathlib import Path
from typing import ClassVar, Optional

from litserve import LitAPI, LitServer
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from ..distill.model import read_config


class ClassifyRequest(BaseModel):
    """One text or a non-empty list of texts to classify; limits are set by :func:`build_server`."""

    model_config = ConfigDict(extra="forbid")
    # Validation runs in the HTTP process only, so class-level limits set at start-up are enough.
    max_text_chars: ClassVar[int] = 100_000
    max_texts: ClassVar[int] = 256
    text: Optional[str] = None
    texts: Optional[list[str]] = None

    @model_validator(mode="after")
    def _check(self):
        if (self.text is None) == (self.texts is None):
            raise ValueError("give either 'text' (a string) or 'texts' (a non-empty list of strings)")
        texts = self.all_texts()
        if not texts:
            raise ValueError("'texts' must not be empty")
        if len(texts) > self.max_texts:
            raise PydanticCustomError("too_large", "at most {limit} texts per request, got {n}",
                                      {"limit": self.max_texts, "n": len(texts)})
        for t in texts:
            if not t.strip():
                raise ValueError("texts must not be empty or blank")
            if len(t) > self.max_text_chars:
                raise PydanticCustomError("too_large", "a text has {n} characters; the limit is {limit}",
                                          {"n": len(t), "limit": self.max_text_chars})
        return self

    def all_texts(self) -> list[str]:
        """The request's texts as a list."""
        return [self.text] if self.text is not None else list(self.texts or [])


class StudentAPI(LitAPI):
    """Loads the student once per inference worker; predicts a flattened batch of requests."""

    def __init__(self, model_dir: str, device: str, batch_size: int = 256, threads: int = 1, **kwargs):
        super().__init__(api_path="/classify", **kwargs)
        self.model_dir, self.device_setting, self.batch_size, self.threads = model_dir, device, batch_size, threads

    def setup(self, device):
        from ..distill import load_student

        # LitServe passes "cpu" or "cuda:N"; an explicit distill.device other than auto wins.
        self.student = load_student(self.model_dir, device if self.device_setting == "auto" else self.device_setting,
                                    batch_size=self.batch_size, threads=self.threads)

    def decode_request(self, request: ClassifyRequest) -> list[str]:
        return request.all_texts()

    def batch(self, inputs: list[list[str]]) -> list[list[str]]:
        return inputs

    def predict(self, x: list) -> list:
        # With max_batch_size == 1 LitServe hands over one request's texts, else a list of them.
        batched = bool(x) and isinstance(x[0], list)
        requests = x if batched else [x]
        preds = self.student.predict([t for texts in requests for t in texts])
        out, start = [], 0
        for texts in requests:
            out.append(preds[start:start + len(texts)])
            start += len(texts)
        return out if batched else out[0]

    def unbatch(self, output: list) -> list:
        return output

    def encode_response(self, output: list) -> dict:
        return {"model_name": self.student.name, "model_version": self.student.version, "predictions": output}


def build_server(settings, model_dir: Optional[str] = None):
    """A LitServer for the configured student, with ``GET /healthz`` (status and model version)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    from ..distill.infer import resolve_device

    distill, cfg = settings.section("distill"), settings.section("serve")
    folder = model_dir or distill["model_dir"]
    config = read_config(Path(folder))  # fail now, with a clear message, if there is no model
    device = resolve_device(distill["device"])
    ClassifyRequest.max_text_chars, ClassifyRequest.max_texts = cfg["max_text_chars"], cfg["max_texts"]
    api = StudentAPI(str(folder), distill["device"], distill["predict_batch_size"], distill["cpu_threads"],
                     max_batch_size=cfg["max_batch_size"], batch_timeout=cfg["batch_timeout"])
    # Whole-body cap: every text at its limit plus JSON overhead; bigger bodies get 413 at once.
    max_payload = cfg["max_texts"] * (cfg["max_text_chars"] * 4 + 16) + 1024
    server = LitServer(api, accelerator=device.type, devices=1, workers_per_device=1,
                          timeout=cfg["request_timeout"], max_payload_size=max_payload)

    @server.app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        # The messages without the echoed input (which may be megabytes); 413 for size limits.
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        status = 413 if any(e["type"] == "too_large" for e in errors) else 422
        return JSONResponse({"error": "; ".join(e["msg"] for e in errors), "detail": errors}, status_code=status)

    @server.app.get("/healthz")
    async def healthz():
        status = server.workers_setup_status
        ready = bool(status) and all(str(v).endswith("ready") for v in status.values())
        body = {"status": "ok" if ready else "starting", "model_name": config["model_name"],
                "model_version": config["version"], "device": device.type,
                "teacher_id": config.get("teacher_id"), "trained_at": config.get("trained_at")}
        return JSONResponse(body, status_code=200 if ready else 503)

    return server


def serve(settings, host: Optional[str] = None, port: Optional[int] = None, model_dir: Optional[str] = None) -> None:
    """Run the API until interrupted."""
    cfg = settings.section("serve")
    server = build_server(settings, model_dir)
    server.run(host=host or cfg["host"], port=port or cfg["port"], generate_client_file=False,
               num_api_servers=1, log_level="warning", api_server_worker_type="thread")
