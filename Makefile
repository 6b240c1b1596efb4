# `make train` and `make test` set themselves up on first use: a .venv with requirements.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: setup train test test-slow lint format gif quality bench clean-venv tensorboard report recipes time-to-quality explore bench-explore


setup: $(STAMP)

# Reinstall whenever requirements.txt changes.
$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

train: $(STAMP)  ## The tutorial: 50 epochs of MNIST. Extra flags: make train ARGS="--data-dir DIR"
	$(PY) -m dcgan_tf.generate --epochs 50 $(ARGS)

# Two test processes on a 2-core machine (pytest-xdist); more cores, up to four.
TEST_PROCESSES := -n auto --maxprocesses 4 --dist loadfile

test: $(STAMP)  ## The offline test suite (README's test command; CI runs it first).
	$(PY) -m pytest -q $(TEST_PROCESSES) tests

test-slow: $(STAMP)  ## Only the slow checks: real signals and kill -9, Chromium, replicas, workers, pip install, further cases of a claim, options' trained runs (CI runs them after make test).
	$(PY) -m pytest -q $(TEST_PROCESSES) -m slow tests

LINTED := dcgan_tf tests notebooks  # what ruff checks and formats

lint: $(STAMP)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)

format: $(STAMP)
	$(PY) -m ruff format $(LINTED)
	$(PY) -m ruff check --fix $(LINTED)

gif: $(STAMP)  ## Rebuild output/dcgan.gif from the epoch images there (OUT=dir for another run).
	$(PY) -m dcgan_tf.generate --gif-only --out $(or $(OUT),output)

clean-venv:
	rm -rf $(VENV)

quality: $(STAMP)  ## Train 25 epochs on offline MNIST, write QUALITY.md (about 15 minutes on 2 cores).
	$(PY) -m dcgan_tf.tools.quality --data-dir $(or $(DATA_DIR),../shared/data/mnist)

bench: $(STAMP)  ## Time dcgan_tf beside the tutorial's loop and step, every speed option; writes BENCHMARKS.md (~25 min, + picture sizes 12-25 min; ARGS="--only sizes" for those alone).
	$(PY) -m dcgan_tf.tools.bench --data-dir $(or $(DATA_DIR),../shared/data/mnist) $(ARGS)

tensorboard: $(STAMP)  ## Serve the run's TensorBoard summaries on http://localhost:6006 (OUT=dir for another run).
	$(VENV)/bin/tensorboard --logdir $(or $(OUT),output)/tensorboard

report: $(STAMP)  ## Rewrite output/report.html, the run's one-page report (OUT=dir for another run).
	$(PY) -m dcgan_tf.report $(or $(OUT),output)

explore: $(STAMP)  ## Explore a run's generator in the browser (python -m dcgan_tf.explore; ARGS="--checkpoint-dir DIR --port P").
	$(PY) -m dcgan_tf.explore $(ARGS)
bench-explore: $(STAMP)  ## Time the explorer's slider moves in headless Chromium; writes BENCHMARKS.md (ARGS="--checkpoint-dir DIR").
	$(PY) -m dcgan_tf.tools.explore_bench $(ARGS)
# make recipes: the issue's length by default; e.g. make recipes STEPS=600 SEEDS=0 EVAL_EVERY=3
STEPS ?= 11750
SEEDS ?= 0,1
EVAL_EVERY ?= 5
EVAL_SAMPLES ?= 2000
EMA_DECAY ?= 0.999
recipes: $(STAMP)  ## Train every recipe for STEPS steps on offline MNIST; write RECIPES.md, docs/recipes.png.
	$(PY) -m dcgan_tf.tools.recipes_bench --data-dir $(or $(DATA_DIR),../shared/data/mnist) \
		--steps $(STEPS) --seeds $(SEEDS) --eval-every $(EVAL_EVERY) \
		--eval-samples $(EVAL_SAMPLES) --ema-decay $(EMA_DECAY)
# make time-to-quality: every recipe and model, each alone; e.g. LINES=gan,dcgan:tutorial CAP=300
time-to-quality: $(STAMP)  ## Race every recipe and model to the tutorial's FID; table + plot in RECIPES.md, README.md.
	$(PY) -m dcgan_tf.tools.time_to_quality --data-dir $(or $(DATA_DIR),../shared/data/mnist) \
		$(if $(LINES),--lines $(LINES)) $(if $(CAP),--cap $(CAP))
