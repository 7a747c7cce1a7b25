# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils fonts-wqy-zenhei nginx

.PHONY: run test bench install install-test migrate lint clean translations messages
TRANSLATIONS := navigator/translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
	./scripts/ensure-debian-packages $(RUN_PACKAGES)

install-test: $(VENV)/.installed-test
	./scripts/ensure-debian-packages $(TEST_PACKAGES)

migrate: install
	$(BIN)/navigator db upgrade

# Compile each .po catalogue into the .mo the app reads (only those that changed).
translations: $(VENV)/.installed
	$(BIN)/python -m navigator.i18n compile

# Gather the words to translate from the code and templates, and merge them into every
# language's messages.po (new ones come in empty or fuzzy for the translator).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --add-location=file --sort-by-file \
	    --project="Pump Access Navigator" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -D messages \
	    --ignore-obsolete --no-wrap

run: migrate translations
	$(BIN)/navigator recheck     # saved plans against the current rules (start-up only enqueues it)
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

test: install-test translations
	./scripts/run-tests

bench: install-test
	$(BIN)/python -m bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check navigator tests bench
	$(BIN)/mypy navigator/engine navigator/services

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
