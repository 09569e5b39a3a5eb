# Thin shortcuts: the scripts are the truth. `make` lists the targets.
.DEFAULT_GOAL := help
.PHONY: help run test fast lint fmt typecheck ci venv

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## Set up and run the app with demo data (scripts/run)
	scripts/run

test: ## Lint, type-check and run the whole suite (scripts/test)
	scripts/test

fast: ## The suite without ruff and mypy (scripts/test --fast)
	scripts/test --fast

lint: venv ## ruff check and ruff format --check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

fmt: venv ## Format and fix: ruff format, ruff check --fix
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# mypy's Django plugin imports the settings, which need development mode's local secrets.
typecheck: venv ## mypy
	SPEAKUP_DEV=true SPEAKUP_DATA_DIR=.local/test .venv/bin/mypy .

ci: ## What CI runs (.ci/run: starts services, then scripts/test)
	bash .ci/run

venv: # .venv with requirements/dev.txt (installs only when the lock file changed)
	@bash -c 'source scripts/_common.sh && ensure_venv dev.txt'
