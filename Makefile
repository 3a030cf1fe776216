# make run: install into .venv, prepare the database, seed the demo province on first run, serve.
# make test: install the dev requirements and run the whole suite.
# make lint: ruff for the Python, eslint for static/js (npm ci installs the pinned versions); CI runs it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT

.PHONY: run test install install-dev screenshots bench bench-chat bench-chat-2 bench-soak bench-deploy bench-cascade bench-execution bench-directive translations check-translations lint lint-py lint-js clean

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

# the .mo files the app reads: compiled here, at install, never by a production process (issue 18)
$(VENV)/.catalogs: $(VENV)/.installed $(wildcard translations/*/*/LC_MESSAGES/messages.po)
	$(BIN)/flask --app wsgi translations compile
	touch $@

install: $(VENV)/.installed $(VENV)/.catalogs
install-dev: $(VENV)/.dev-installed

run: $(VENV)/.installed $(VENV)/.catalogs
	$(BIN)/flask --app wsgi init-db
	$(BIN)/flask --app wsgi seed-demo --if-empty
	$(BIN)/python wsgi.py

test: $(VENV)/.dev-installed $(VENV)/.catalogs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

screenshots: $(VENV)/.dev-installed
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e/test_screenshots.py -q $(PYTEST_ARGS)
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q $(PYTEST_ARGS) \
	  "tests/e2e/test_call_mesh.py::test_three_people_see_and_hear_each_other_the_chair_mutes_one_and_one_leaves" \
	  tests/e2e/test_documents_presenting.py tests/e2e/test_meeting_replies_browser.py \
	  tests/e2e/test_agenda_browser.py tests/e2e/test_search_browser.py

# the speed benchmarks, each beside its baseline (bench/README.md 1-2, 8, 8b, 9, 10; the soak is bench-soak)
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/chat.py --processes 2 --scenarios open200,open1000
	$(BIN)/python bench/directive.py
	$(BIN)/python bench/board.py

# chat against the bare Node socket.io server: open and closed loop, CPU per delivery, 2,000 sockets (bench/README.md, 8)
bench-chat: $(VENV)/.dev-installed
	$(BIN)/python bench/chat.py

# the same chat scenarios on two processes with Redis and PostgreSQL behind the recipe's nginx (bench/README.md, 8b)
bench-chat-2: $(VENV)/.dev-installed
	$(BIN)/python bench/chat.py --processes 2 --scenarios open200,open1000

# 200 chatting sockets for 30 minutes: memory, descriptors, errors, p99 every 30 s (bench/README.md, 8c)
bench-soak: $(VENV)/.dev-installed
	$(BIN)/python bench/soak.py

# requests through the recipe's nginx against the same requests straight to the processes (bench/README.md, 7)
bench-deploy: $(VENV)/.dev-installed
	$(BIN)/python bench/deploy.py

# the directive page and the board by level over a 2,000-node cascade, SQLite and PostgreSQL (bench/README.md, 5)
bench-cascade: $(VENV)/.dev-installed
	$(BIN)/python bench/cascade.py

# the execution report for a year and a month over 10,000 directives and 50,000 assignments (bench/README.md, 6)
bench-execution: $(VENV)/.dev-installed
	$(BIN)/python bench/execution.py

# the tracking board over 1,000,000 assignments on PostgreSQL against one hand-written query (bench/README.md, 9)
.PHONY: bench-board
bench-board: $(VENV)/.dev-installed
	$(BIN)/python bench/board.py

# a directive to 100 agencies, 500 officers' sockets, against a bare Node socket.io emit (bench/README.md, 10)
bench-directive: $(VENV)/.dev-installed
	$(BIN)/python bench/directive.py

translations: $(VENV)/.installed
	$(BIN)/flask --app wsgi translations update

check-translations: $(VENV)/.installed
	$(BIN)/flask --app wsgi translations check

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

lint: lint-py lint-js

lint-py: $(VENV)/.dev-installed
	$(BIN)/ruff check .

lint-js: node_modules/.package-lock.json
	npx eslint static/js

clean:
	rm -rf $(VENV) .pytest_cache node_modules
