# The two commands: `make run` and `make test`. Everything else helps them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format install install-dev vendor seed migrate bench bench-smoke bench-discovery bench-slots bench-booking bench-api clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: set up, migrate a local SQLite database, load demo data, serve on :8000
## (PORT=8123 serves there, and links in emails follow: SITE_URL)
run: export DEBUG ?= true
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: export TASKS_LOG_LEVEL ?= WARNING
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

migrate: export DEBUG ?= true
migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: export DEBUG ?= true
seed: install
	$(BIN)/python manage.py seed_demo

## make test: lint, system checks, migrations check, then the whole suite with coverage
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py check
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest --cov --cov-report=term:skip-covered $(ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make vendor: refresh static/vendor/ from npm at the versions in package.json
vendor:
	npm install --no-audit --no-fund
	mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons/fonts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css static/vendor/bootstrap-icons/
	cp node_modules/bootstrap-icons/font/fonts/* static/vendor/bootstrap-icons/fonts/
	# axe-core runs in the browser tests only (clinic/tests/vendor/), never served.
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE clinic/tests/vendor/

## make bench: every page's req/s beside a bare Django project, under gunicorn (wrk; PostgreSQL clinic_speed_bench, Redis db 2)
bench: install
	$(BIN)/python bench/pages.py $(ARGS)

## make bench-smoke: the same on tiny data, about a second per page (proves the harness, not the speed)
bench-smoke: install
	$(BIN)/python bench/pages.py --smoke

## make bench-slots: slot generation (1,000 doctors x 60 days) and a doctor's slot list (PostgreSQL clinic_bench_slots)
bench-slots: install
	$(BIN)/python bench/slots.py

## make bench-booking: the double-booking race over HTTP (gunicorn on :8104, PostgreSQL)
bench-booking: install
	$(BIN)/python bench/booking_race.py

## make bench-api: API req/s (directory, slots) beside a bare DRF endpoint (gunicorn on :8107, PostgreSQL)
bench-api: install
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .coverage
