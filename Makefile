# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test lint check messages bench clean deploy-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## run the bot; without TELEGRAM_BOT_TOKEN it plays the local demo
	$(BIN)/python -m bot run

demo: $(STAMP)
	$(BIN)/python -m bot demo

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: test lint

deploy-check: $(STAMP)  ## lint deploy/, build the image and run it against the stand-in
	deploy/lint.sh
	deploy/check-container.sh

messages: $(STAMP)  ## refresh locales/messages.pot and merge it into every catalog
	$(BIN)/pybabel extract -F babel.cfg -k N_ --sort-by-file --no-wrap \
		--project weekly-commentary-bot -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap

bench: $(STAMP)
	$(BIN)/python -m bench.reader_queries

clean:
	rm -rf $(VENV) data
