# Veille: the two commands of the README.
#   make run   - install into .venv, replay the bundled corpus over HTTP, run the nightly job
#   make test  - install into .venv, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
REPLAY_PORT ?= 8765
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Where a local wheel folder exists (the CPU torch wheel lives there on our machines), use it.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: run test install clean bench

# uv installs the same packages as pip about 4x faster (1.8 vs 6.5 min here); pip is the fallback.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q uv || true
	@if test -x $(BIN)/uv; then \
		$(BIN)/uv pip install -q --python $(BIN)/python $(FIND_LINKS) -e '.[all]'; \
	else \
		$(BIN)/python -m pip install -q $(FIND_LINKS) -e '.[all]'; \
	fi
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p data
	@$(BIN)/veille replay corpus --port $(REPLAY_PORT) > data/replay.log 2>&1 & echo $$! > data/replay.pid; \
	trap 'kill $$(cat data/replay.pid) 2>/dev/null; rm -f data/replay.pid' EXIT INT TERM; \
	$(BIN)/python -c "from pipeline.replay.server import wait_for_port; wait_for_port($(REPLAY_PORT))" && \
	$(BIN)/veille --config corpus/demo.toml --set collect.proxy=http://127.0.0.1:$(REPLAY_PORT) nightly

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/nightly.py
	$(BIN)/python bench/queries.py

clean:
	rm -rf data .pytest_cache
