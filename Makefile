# Kefu: the two commands are `make run` (portal with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# pytest-xdist workers ("auto" = one per CPU; 0 runs in one process).
PYTEST_WORKERS ?= auto

.DEFAULT_GOAL := help
.PHONY: help run test browser install install-dev migrate messages demo lint format clean bench

help:
	@echo "make run    - set up everything and start web + Celery worker + beat (embedded defaults)"
	@echo "make test   - ruff check + pytest (honours DATABASE_URL / CELERY_BROKER_URL)"
	@echo "make demo   - migrate and seed demo data only"
	@echo "make lint   - ruff check and format check"

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

messages: $(VENV)/.installed
	$(PY) scripts/compile_messages.py

migrate: install messages
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	bash scripts/run.sh

test: install-dev messages browser
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Chromium + CJK font for tests/browser (Debian packages; quick when present).
browser:
	bash scripts/install_browser.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	@echo "see bench/README.md"

clean:
	rm -rf var .pytest_cache .ruff_cache
