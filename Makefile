# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
HOST ?= 127.0.0.1
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ALLOWED_HOSTS ?= $(HOST),127.0.0.1,localhost
export BASE_URL ?= http://$(HOST):$(PORT)
# The settings refuse to start without a secret key: the demo makes its own, random, on first
# run (target below), readable by its owner only. Every manage.py and uvicorn below reads it.
export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key
# uvicorn refuses larger WebSocket frames before the application sees them (close 1009):
# MAX_FRAME_BYTES of consulta/calls/messages.py, as in deploy/consulta@.service.
WS_MAX_SIZE := 65536

.PHONY: run test lint typecheck node jstest pytest system-deps services static messages bench clean secret-key

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# Made only when missing: a second `make run` keeps the key, and so the sessions and links.
$(SECRET_KEY_FILE):
	@mkdir -p $(dir $@)
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp
	@chmod 600 $@.tmp && mv $@.tmp $@
	@echo "Made a random secret key in $@ (keep it private; delete it to make a new one)."

secret-key: $(SECRET_KEY_FILE)

static: $(VENV)/.run-deps | $(SECRET_KEY_FILE)
	mkdir -p var
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# The demo lets webhooks go to a receiver on this machine over http (docs/webhooks.md): a real
# deployment keeps the defaults, https to public addresses only.
run: static
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --if-empty --history 90 --base-url $(BASE_URL)
	@echo "Consulta is serving on $(BASE_URL) (HTTP and WebSocket), with its background worker. Stop it with Ctrl+C."
	WEBHOOK_ALLOW_HTTP=$${WEBHOOK_ALLOW_HTTP:-true} WEBHOOK_ALLOWED_NETWORKS=$${WEBHOOK_ALLOWED_NETWORKS:-127.0.0.1/32} \
	$(BIN)/python -m consulta.core.serve consulta.asgi:application --host $(HOST) --port $(PORT) --no-server-header --lifespan off --no-proxy-headers --ws-max-size $(WS_MAX_SIZE)

# Debian's Chromium for the browser tests, gettext for the catalogue check, nginx for the
# scale-out tests, coturn and nftables for the relayed calls (tests/e2e/test_turn_relay.py) and
# bench/impaired_call.py, the Noto fonts for every script of the 64 languages (docs/deployment.md).
# policy-rc.d keeps apt from starting nginx's default site on port 80.
SYSTEM_PACKAGES := chromium gettext nginx-light coturn nftables fonts-noto-core fonts-noto-cjk
system-deps:
	@if [ ! -x /usr/lib/chromium/chromium ] || ! command -v msgfmt >/dev/null || [ ! -x /usr/sbin/nginx ] || ! command -v turnserver >/dev/null || ! command -v nft >/dev/null \
		|| [ ! -d /usr/share/fonts/truetype/noto ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
		echo "Installing $(SYSTEM_PACKAGES) from Debian's packages"; \
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
		status=$$?; rm -f /usr/sbin/policy-rc.d; exit $$status; \
	fi
	@test -x /usr/lib/chromium/chromium || { echo "Chromium is missing: the browser tests cannot run." >&2; exit 1; }

# PostgreSQL and Redis for the scale-out tests: start them when they do not answer.
services:
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
		echo "PostgreSQL or Redis did not start" >&2; exit 1

# The JavaScript is checked by Node itself: every file must parse (as an ES module, see
# package.json), the same scripts the browser loads without a build step.
lint: $(VENV)/.dev-deps node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@status=0; for file in $$(find consulta/static/js tests bench -name node_modules -prune -o -name '*.js' -print | sort); do \
		node --check "$$file" || status=1; done; exit $$status

typecheck: $(VENV)/.dev-deps
	$(BIN)/mypy

# The single sign-on tests sign in at a real OpenID provider (tests/oidc: the certified
# oidc-provider from npm, run with the machine's Node.js): `npm ci` installs exactly the versions
# of its lock file, again only when its node_modules is missing or older than the lock.
OIDC_MODULES := tests/oidc/node_modules/.installed
$(OIDC_MODULES): tests/oidc/package-lock.json | node
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
	touch $@

# The suite on SQLite, then the scale-out tests (PostgreSQL, Redis, two workers behind nginx)
# in a browser session of their own.
pytest: $(VENV)/.dev-deps system-deps services static $(OIDC_MODULES)
	$(BIN)/pytest -m "not scaleout"
	$(BIN)/pytest -m scaleout tests/e2e/test_scaleout.py

# Node's built-in test runner for the pure JavaScript modules (tests/js), no npm packages.
# Node.js 20 or newer (the machine's own): node:test with mock timers. Nothing from npm.
node:
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null || \
		{ echo "Node.js 20 or newer is needed for the JavaScript checks and tests (found: $$(node --version 2>&1))." >&2; exit 1; }

jstest: node
	node --test tests/js/*.test.js

test: lint typecheck jstest pytest

# Regenerate the translation catalogues after changing user-facing strings.
messages: $(VENV)/.dev-deps | $(SECRET_KEY_FILE)
# Every locale of consulta/core/languages.py; new ones get their catalogue and headers.
messages: LOCALES = $(foreach l,$(shell $(BIN)/python -m consulta.core.languages),--locale $(l))
messages: $(VENV)/.dev-deps | $(SECRET_KEY_FILE)
	cd consulta && ../$(BIN)/django-admin makemessages $(LOCALES) --no-location --no-obsolete
	cd consulta && ../$(BIN)/django-admin makemessages $(LOCALES) --domain djangojs --no-location --no-obsolete --ignore 'static/vendor/*'
	$(BIN)/python manage.py catalogue headers
	$(BIN)/python manage.py catalogue headers --domain djangojs
	cd consulta && ../$(BIN)/django-admin compilemessages

bench: $(VENV)/.dev-deps system-deps static
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
