# make demo: set up and serve the demo hall.  make test: set up and run every test.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app kiosk
PORT ?= 8000
PYTHON ?= python3

.PHONY: demo test lint format bench loadtest system-deps translations extract-messages venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

translations: venv
	$(VENV)/bin/pybabel compile --use-fuzzy -d kiosk/translations -D messages --statistics 2>&1 | tail -n 2

extract-messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k Phrase -o kiosk/translations/messages.pot .
	$(VENV)/bin/pybabel update -i kiosk/translations/messages.pot -d kiosk/translations --no-fuzzy-matching --ignore-obsolete
	$(PY) tools/fill_zh_catalog.py

# No gunicorn access log: it would print QR tokens, rating keys and addresses; the app logs
# each request as a JSON line without them (as deploy/kiosk.service does).
demo: export KIOSK_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
demo: venv translations
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "serving on http://127.0.0.1:$(PORT)  (Ctrl-C stops)"
	$(VENV)/bin/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

system-deps:
	sh tools/ensure-system-deps.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The Nu HTML checker's jar, pinned (tests/views/test_html_validity.py checks every kind of page).
VNU_VERSION := 26.9.27
VNU_JAR := .cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar

$(VNU_JAR):
	npm install --prefix .cache/vnu --no-save --no-audit --no-fund --ignore-scripts vnu-jar@$(VNU_VERSION)

test: venv system-deps translations lint $(VNU_JAR)
	$(PY) -m pytest -p no:cacheprovider

bench: venv translations
	$(PY) -m bench

# Full-size load and fault scenarios (gunicorn, PostgreSQL, Redis, killed workers, a database
# restart); make test runs the short sizes (tests/load).
loadtest: venv system-deps translations
	$(PY) -m tests.load
