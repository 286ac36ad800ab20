# seqscan: `make run` to try it, `make test` to test it. Both install into .venv first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
# The database `make test` also runs the scan tests against (trust auth on loopback).
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The Redis databases the two halves of `make test` empty around their tests: one each, as they
# run side by side.
TEST_REDIS_SQLITE ?= redis://127.0.0.1:6379/15
TEST_REDIS_PG ?= redis://127.0.0.1:6379/14
# The tests run again on PostgreSQL: those of what the database itself does (scans' writes and
# their transactions, the queue's and the lock's rows, migrations, outages, history, the pages'
# and metrics' queries, ids at the database's limits). The others (layout profiles, lanes, file
# checks, the walk and symlinks, sheet limits, Scripts and Jobs, sign-in limits, file modes, the
# CLI's output) do the same on either database, and run on SQLite only.
PG_TESTS := tests/test_scan.py tests/test_scan_robustness.py tests/test_scan_ends.py tests/test_fixture_tree.py \
	tests/test_queue.py tests/test_faults.py tests/test_outages.py tests/test_migrations.py tests/test_lost_mount.py \
	tests/test_verdict.py tests/test_roots.py tests/test_history.py tests/test_bulk.py tests/test_reparse.py tests/test_missing.py \
	tests/test_metrics.py tests/test_alerts.py tests/test_home.py tests/test_web.py tests/test_web_hardening.py \
	tests/test_operator_actions.py
DEMO_ROOT := instance/demo-root
# Each half's own temporary folder (emptied when it starts): side by side, neither cleans up the other's.
TEST_TMP ?= $(or $(TMPDIR),/tmp)/seqscan-tests-$(shell id -u)

.PHONY: install services test test-sqlite test-postgres lint screenshots run bench bench-web clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@echo "Installing seqscan's pinned Python packages into $(VENV) (the first time takes a minute or two)..."
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

services:
	@bash .ci/services.sh --with-postgres --with-browser --with-nginx

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sqlite: install services
	mkdir -p $(TEST_TMP)
	SEQSCAN_TEST_REDIS_URL=$(TEST_REDIS_SQLITE) $(BIN)/pytest --basetemp=$(TEST_TMP)/sqlite

# Without pytest's cache: the SQLite half writes it meanwhile.
test-postgres: install services
	mkdir -p $(TEST_TMP)
	SEQSCAN_TEST_REDIS_URL=$(TEST_REDIS_PG) SEQSCAN_TEST_DATABASE_URL=$(TEST_PG_URL) $(BIN)/pytest -p no:cacheprovider --basetemp=$(TEST_TMP)/postgres $(PG_TESTS)

# Lint, then the whole suite on SQLite and the database tests on PostgreSQL side by side: most of
# their time is spent waiting on worker processes, browsers and timers, not on the CPU. Each half's
# output is shown whole when it ends.
test: lint
	@echo "Running the SQLite suite and the PostgreSQL tests side by side (each one's output when it ends)..."
	@$(MAKE) --no-print-directory --output-sync=target -j2 test-sqlite test-postgres

# The README's screenshots (home, scans, a run, missing data at 1280 and 390 px) into docs/screenshots/,
# taken by the browser test that measures every page at both widths.
screenshots: install services
	mkdir -p $(TEST_TMP)
	SEQSCAN_TEST_REDIS_URL=$(TEST_REDIS_SQLITE) SEQSCAN_TEST_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -p no:cacheprovider \
		--basetemp=$(TEST_TMP)/screenshots tests/test_browser.py -k fits_a_1280_window

# Redis (started if none answers), then the worker, the scheduler and the web app on PORT, stopped
# together on Ctrl-C. Without a SCAN_ROOT (in instance/seqscan.toml or SEQSCAN_SCAN_ROOT) a demo tree
# is scanned, slowed to watch it live. What it decides is written into instance/seqscan.toml, so
# that a worker, scheduler or `flask scan` started by hand afterwards uses the same settings.
PORT ?= 5000
run: install
	@bash .ci/services.sh
	@$(BIN)/python -c 'import redis, os; redis.Redis.from_url(os.environ.get("SEQSCAN_REDIS_URL", "redis://127.0.0.1:6379/0")).ping()' 2>/dev/null \
		|| { echo "Redis is not reachable: install it (apt-get install redis-server) or set SEQSCAN_REDIS_URL" >&2; exit 1; }
	$(FLASK) init-db
	@$(FLASK) settings set --if-unset SCAN_ROOT "$(CURDIR)/$(DEMO_ROOT)"
	@if [ "$$($(FLASK) settings get SCAN_ROOT)" = "$(CURDIR)/$(DEMO_ROOT)" ]; then \
		[ -d $(DEMO_ROOT) ] || $(FLASK) demo-tree $(DEMO_ROOT) --runs 12 --samples 8; \
		echo "Scanning the demo tree in $(DEMO_ROOT) (SCAN_ROOT in instance/seqscan.toml)"; \
		$(FLASK) settings set --if-unset PAUSE_PER_RUN_SECONDS 0.3; \
	fi
	@trap 'kill 0' EXIT; \
	echo "Starting the worker, the scheduler and the web app..."; \
	for queue in $$($(FLASK) settings queues); do $(BIN)/python worker.py --queue "$$queue" & done; \
	$(FLASK) scheduler & \
	sleep 2; $(FLASK) scans enqueue; \
	demo=$$($(FLASK) users create demo --role operator --replace); \
	( until $(BIN)/python -c 'import socket; socket.create_connection(("127.0.0.1", $(PORT)), 1)' 2>/dev/null; do sleep 0.5; done; \
	  echo; echo "+------------------------------------------------------------------------------"; \
	  echo "| seqscan on http://127.0.0.1:$(PORT)"; \
	  echo "| sign in with the demo operator: $$demo"; \
	  echo "|   (a new password each time; more users: .venv/bin/flask --app app users create NAME --role viewer)"; \
	  $(FLASK) schedule show | sed 's/^/| scheduled scan: /'; \
	  echo "| Ctrl-C stops the web app, the worker and the scheduler."; \
	  echo "+------------------------------------------------------------------------------"; echo ) & \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# `make bench BASE=<git revision>`: the same benchmark as of BASE and as of now, on one tree, taking turns.
# `make bench [BENCH_DATABASE=postgresql://…]`: the figures at scale in one run (bench/scale_bench.py).
bench: install
	$(if $(BASE),$(BIN)/python bench/compare.py $(BASE) $(BENCH_ARGS),$(BIN)/python bench/scale_bench.py $(if $(BENCH_DATABASE),--database $(BENCH_DATABASE)) $(BENCH_ARGS))

bench-web: install services
	$(BIN)/python bench/web_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
