# Ryggvett: `make run` sets up and starts everything; `make test` sets up and tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Rasa through the launcher: version checked, patches installed (rasa_extensions/__init__.py).
RASA := $(PY) -m rasa_extensions.launch

# Configuration (documented in docs/configuration.md). Override on the command line or in the environment.
export PYTHONPATH := $(CURDIR)
export RYGGVETT_DB_URL ?= sqlite:///$(CURDIR)/var/ryggvett.db
export RYGGVETT_TRACKER_URL ?= sqlite:///$(CURDIR)/var/tracker.db
ACTIONS_PORT ?= 5055
RASA_PORT ?= 5005
WEB_PORT ?= 8000
# The clinicians' dashboard (python -m dashboard serve).
export RYGGVETT_DASHBOARD_PORT ?= 8001
export RYGGVETT_ACTION_ENDPOINT ?= http://localhost:$(ACTIONS_PORT)/webhook
# The shared secret Rasa sends the action server; when unset, a new one for each make run, given
# to both (the action server refuses every call without it). Set it when they start separately.
ifeq ($(strip $(RYGGVETT_ACTION_SECRET)),)
RYGGVETT_ACTION_SECRET := $(shell od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
endif
export RYGGVETT_ACTION_SECRET
# Where browsers reach the web server (widget, exercise illustrations).
export RYGGVETT_PUBLIC_URL ?= http://localhost:$(WEB_PORT)
# Comma-separated origins allowed to open the web chat (socket.io) and call the Rasa server
# from a browser: the clinic's site. "*" allows any, for development only.
export RYGGVETT_CORS ?= $(RYGGVETT_PUBLIC_URL)
# Rasa's HTTP API (model, tracker routes) is only ever enabled behind a token (or a JWT secret),
# which rasa_extensions/launch.py hands to Rasa from the environment, never on a command line.
export RASA_API_TOKEN ?=
export RASA_JWT_SECRET ?=
# Server-to-server channels refuse every message until given a token.
export RYGGVETT_REST_TOKEN ?=
export RYGGVETT_CALLBACK_TOKEN ?=
# Where the callback channel posts the bot's replies (the other system's URL).
export RYGGVETT_CALLBACK_URL ?= http://localhost:5034/bot
# No usage data leaves the clinic: Rasa telemetry is off unless asked for.
export RASA_TELEMETRY_ENABLED ?= false
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
# Request bodies over this get HTTP 413 from the Rasa server (a chat message is far smaller).
# Only the Rasa server: the action server receives whole conversations from Rasa.
RASA_MAX_REQUEST_BYTES ?= 65536

MODEL := models/ryggvett.tar.gz
SPACY_MODEL := build/spacy/nb_ryggvett/meta.json
SYNONYMS := data/nlu/synonyms.generated.yml
AUGMENTED := data/nlu/augmented.generated.yml
GENERATED := $(SYNONYMS) $(AUGMENTED)
CONTENT_FILES := $(shell find content -name '*.yml' 2>/dev/null)
TRAINING_FILES := $(filter-out $(GENERATED),$(shell find data -name '*.yml' 2>/dev/null))
INSTALLED := $(VENV)/.installed
# The list of training files, rewritten only when it changes, so a deleted or
# added file retrains the model too (file times alone would miss a deletion).
TRAINING_LIST := build/training-files.txt
$(shell mkdir -p build && printf '%s\n' $(sort $(TRAINING_FILES)) > $(TRAINING_LIST).new && \
	(cmp -s $(TRAINING_LIST).new $(TRAINING_LIST) || mv $(TRAINING_LIST).new $(TRAINING_LIST)); rm -f $(TRAINING_LIST).new)

.PHONY: bench profile audit services system-deps dashboard-admin retention web browser help setup nlp validate-content load-content validate train run shell actions test lint evaluate experiment clean

help: ## this list
	@grep -hE '^[a-z][a-z0-9 _-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]*):.*## (.*)/\1\t\2/' | \
		awk -F '\t' '{ printf "make %-16s %s\n", $$1, $$2 }'

$(INSTALLED): requirements.txt requirements-dev.txt constraints.txt scripts/find-python310.sh
	@python=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		echo "Creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt -c constraints.txt
	@touch $@

setup: $(INSTALLED) $(SPACY_MODEL) load-content web ## create the virtualenv, build the spaCy pipeline, load the content, install the widget's dependency

# The web widget's one dependency, socket.io-client, pinned in web/package-lock.json.
WEB_DEPS := web/node_modules/socket.io-client/dist/socket.io.min.js
$(WEB_DEPS): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "Installing Node.js and npm (Debian packages)…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web: $(WEB_DEPS) ## the widget's socket.io-client (npm)

# The Debian packages the tests need, installed in one go when missing: Node.js and npm (the
# widget's socket.io-client), Redis and nginx (the multi-server tests), Chromium (browser tests,
# driven by Playwright: no browser download) and PostgreSQL (scripts/test-postgres.sh).
SYSTEM_PACKAGES := nodejs:node npm:npm redis-server:redis-server nginx:nginx chromium:chromium
system-deps: ## install the Debian packages the tests need (apt-get), if missing
	@missing=""; for entry in $(SYSTEM_PACKAGES); do command -v $${entry#*:} >/dev/null || missing="$$missing $${entry%%:*}"; done; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

services browser: system-deps

$(SPACY_MODEL) $(SYNONYMS) &: content/terms.yml ryggvett/nlp_build.py $(INSTALLED)
	$(PY) -m ryggvett build-nlp

nlp: $(SPACY_MODEL) ## build the spaCy pipeline from content/terms.yml

# Misspelled and long-story copies of the hand-written examples (ryggvett/augment.py).
$(AUGMENTED): $(TRAINING_FILES) $(TRAINING_LIST) augment/context.yml ryggvett/augment.py ryggvett/typo_generator.py $(INSTALLED)
	$(PY) -m ryggvett build-augmented

validate-content: $(INSTALLED) ## check the cards, sources, plain-language limits and patterns
	$(PY) -m ryggvett validate-content

load-content: validate-content ## load the content into the reference base
	@mkdir -p var
	$(PY) -m ryggvett load-content

validate: validate-content $(GENERATED) ## content checks and Rasa's data validation
	$(RASA) data validate --fail-on-warnings

$(MODEL): config.yml domain.yml $(TRAINING_FILES) $(TRAINING_LIST) $(GENERATED) $(SPACY_MODEL)
	$(RASA) train --fixed-model-name ryggvett --out models
	@touch $@

train: $(INSTALLED) $(MODEL) ## train the model if data or configuration changed

actions: setup ## start the action server alone
	$(RASA) run actions --actions actions --port $(ACTIONS_PORT)

run: setup $(MODEL) ## set up if needed, then start the assistant, the demo clinic page and the dashboard
	@mkdir -p var/logs
	@$(RASA) run actions --actions actions --port $(ACTIONS_PORT) > var/logs/actions.log 2>&1 & actions=$$!; \
	$(PY) scripts/serve_web.py --port $(WEB_PORT) --rasa-url http://localhost:$(RASA_PORT) > var/logs/web.log 2>&1 & web=$$!; \
	$(PY) -m dashboard serve > var/logs/dashboard.log 2>&1 & dashboard=$$!; \
	trap 'kill $$actions $$web $$dashboard 2>/dev/null' EXIT INT TERM; \
	scripts/wait-for-http.sh http://localhost:$(ACTIONS_PORT)/health 120 || { tail -20 var/logs/actions.log; exit 1; }; \
	echo ""; \
	echo "Ryggvett is starting (the model loads in about half a minute):"; \
	echo "  demo clinic page with the web chat: http://localhost:$(WEB_PORT)"; \
	echo "  clinicians' dashboard:  http://localhost:$$RYGGVETT_DASHBOARD_PORT (first admin: make dashboard-admin ADMIN=name)"; \
	echo "  Rasa server:  http://localhost:$(RASA_PORT) (socket.io for the widget; REST and callback need a token)"; \
	if [ -n "$$RYGGVETT_REST_TOKEN" ]; then \
	echo "  REST:         curl -s localhost:$(RASA_PORT)/webhooks/rest/webhook -H \"Authorization: Bearer \$$RYGGVETT_REST_TOKEN\" -d '{\"sender\": \"me\", \"message\": \"Hjelper Ibux?\"}'"; \
	else echo "  REST:         off until RYGGVETT_REST_TOKEN is set"; fi; \
	echo "  terminal:     make shell (in another terminal)"; \
	echo "  logs:         var/logs/; stop with Ctrl+C"; \
	echo ""; \
	SANIC_REQUEST_MAX_SIZE=$(RASA_MAX_REQUEST_BYTES) $(RASA) run --model $(MODEL) \
		--port $(RASA_PORT) --endpoints endpoints.yml --credentials credentials.yml \
		--cors $$(echo "$$RYGGVETT_CORS" | tr "," " ")

# The first admin of the clinicians' dashboard; asks for the password (or RYGGVETT_ADMIN_PASSWORD).
dashboard-admin: $(INSTALLED) ## create the dashboard's first admin (ADMIN=name)
	@test -n "$(ADMIN)" || { echo "usage: make dashboard-admin ADMIN=name"; exit 1; }
	$(PY) -m dashboard create-admin $(ADMIN)

# Deletes conversations past RYGGVETT_RETENTION_DAYS now (the dashboard also does it daily).
retention: $(INSTALLED) ## delete what is older than the retention periods
	$(PY) -m dashboard retention

shell: setup $(MODEL) ## chat with the assistant in the terminal
	@mkdir -p var/logs
	@$(RASA) run actions --actions actions --port $(ACTIONS_PORT) > var/logs/actions-shell.log 2>&1 & actions=$$!; \
	trap 'kill $$actions 2>/dev/null' EXIT INT TERM; \
	scripts/wait-for-http.sh http://localhost:$(ACTIONS_PORT)/health 120 || exit 1; \
	$(RASA) shell --model $(MODEL) --endpoints endpoints.yml

# Dependency vulnerability audit (scripts/audit.py, security/known-vulnerabilities.yml): pip-audit,
# or the offline PyPA advisory snapshot in ../shared/vulndb/ (or RYGGVETT_VULNDB) where PyPI's data is unreachable.
AUDIT_VENV := build/audit-venv
$(AUDIT_VENV)/.installed: scripts/find-python310.sh security/audit-requirements.txt
	@python=$$(scripts/find-python310.sh) || exit 1; rm -rf $(AUDIT_VENV); "$$python" -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check -r security/audit-requirements.txt
	@touch $@

# Without pip-audit (no package registry) the script falls back to the offline snapshot.
audit: $(INSTALLED) ## check the pinned packages against the vulnerability advisories
	@$(MAKE) --silent --no-print-directory $(AUDIT_VENV)/.installed || echo "make audit: pip-audit could not be installed"
	@$(PY) -m pip freeze --disable-pip-version-check --exclude-editable > build/freeze.txt
	$(PY) scripts/audit.py build/freeze.txt --pip-audit $(AUDIT_VENV)/bin/pip-audit

lint: $(INSTALLED) ## ruff
	$(VENV)/bin/ruff check .

# The tests write their reports and screenshots here, never into the working tree.
TEST_REPORTS := $(CURDIR)/build/test-reports

test: system-deps setup lint audit validate $(MODEL) ## set up if needed, then run every check and test
	@pg_url=$$(scripts/test-postgres.sh start) || exit 1; \
	trap 'scripts/test-postgres.sh stop' EXIT; \
	RYGGVETT_TEST_PG_URL=$$pg_url RYGGVETT_REQUIRE_SERVICES=1 RYGGVETT_TEST_REPORTS=$(TEST_REPORTS) $(PY) -m pytest
	@echo "Test reports and screenshots: $(TEST_REPORTS)"
	scripts/with-action-server.sh $(ACTIONS_PORT) \
		$(RASA) test core --model $(MODEL) --stories tests/stories --endpoints endpoints.yml \
		--fail-on-prediction-errors --out $(TEST_REPORTS)/stories

EVAL_DEFAULT_MODEL := build/eval/rasa_default.tar.gz
EVAL_CV_REPORT := build/eval/cv/intent_report.json
HANDWRITTEN := build/eval/handwritten/.copied

# The hand-written examples alone, without the generated copies (ryggvett/augment.py),
# which are part of our pipeline: Rasa's default pipeline and the cross-validation use these.
$(HANDWRITTEN): $(TRAINING_FILES) $(TRAINING_LIST) $(SYNONYMS)
	rm -rf $(@D) && mkdir -p $(@D) && cp $(filter data/nlu/%,$(TRAINING_FILES)) $(SYNONYMS) $(@D)/
	@touch $@

# Rasa's default pipeline gets the hand-written examples of up to 40 words (all but 50 of
# about 2,600): with the longer ones its transformer takes over 16 minutes to train.
$(EVAL_DEFAULT_MODEL): evaluation/configs/rasa_default.yml $(HANDWRITTEN) evaluation/short_examples.py
	$(PY) -m evaluation.short_examples build/eval/handwritten build/eval/handwritten-short/nlu.yml 40
	$(RASA) train nlu --config evaluation/configs/rasa_default.yml --nlu build/eval/handwritten-short \
		--out build/eval --fixed-model-name rasa_default

# 5-fold cross-validation of config.yml with 50 DIET epochs instead of 100, trained fold by
# fold with Rasa (evaluation/cross_validation.py), so that make evaluate stays under 20 minutes.
$(EVAL_CV_REPORT): config.yml $(HANDWRITTEN) $(SPACY_MODEL) evaluation/cross_validation.py
	sed -E 's/^( +epochs:) [0-9]+/\1 50/' config.yml > build/eval/cv-config.yml
	$(PY) -m evaluation.cross_validation build/eval/cv-config.yml build/eval/handwritten build/eval/cv --folds 5

# Held-out figures for our pipeline, Rasa's default pipeline and TF-IDF + logistic
# regression, 5-fold cross-validation, entities, robustness: reports/nlu/report.md.
# The three trainings run two at a time: each keeps about 1.4 of the 2 cores busy on its own.
evaluate: setup ## NLU and card-level figures on the held-out and card test sets (reports/)
	$(MAKE) --no-print-directory -j2 --output-sync=target $(MODEL) $(EVAL_DEFAULT_MODEL) $(EVAL_CV_REPORT)
	$(PY) -m evaluation.run --model $(MODEL) --default-model $(EVAL_DEFAULT_MODEL) --cv build/eval/cv \
		--out reports/nlu --summary reports/nlu-summary.md
	$(PY) -m evaluation.cards --model $(MODEL) --out reports/cards.md --response-selector

# Throughput, latency, memory, training time and cold start against Rasa's default assistant
# (bench/run.py): reports/bench.md and reports/bench-latency.png. BENCH_ARGS=--no-train skips
# timing a training of our model (about 6 minutes).
bench: setup $(MODEL) ## speed against Rasa's default assistant (reports/bench.md)
	$(PY) -m bench.run $(BENCH_ARGS)

# Where the time goes: both servers sampled with py-spy under load (bench/profile.py):
# reports/profile.md and flame graphs reports/profile-*.svg. PROFILE_ARGS="--workers 2".
profile: setup $(MODEL) ## where the time goes, with py-spy (reports/profile.md)
	$(PY) -m bench.profile $(PROFILE_ARGS)

# One pipeline variant measured on the held-out set: make experiment NAME=diet_small
experiment: setup $(GENERATED) ## train and score one pipeline variant: evaluation/configs/NAME.yml (NAME=…)
	$(PY) -m evaluation.experiment $(NAME) evaluation/configs/$(NAME).yml

clean: ## remove what make built
	rm -rf build models/*.tar.gz var reports/nlu $(GENERATED)
