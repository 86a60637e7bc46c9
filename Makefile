.PHONY: run test setup migrations messages lint

run:        ## Start LangOps (embedded: SQLite + local folders; set DATABASE_URL/REDIS_URL for PostgreSQL/Redis)
	scripts/run.sh

test:       ## Run the whole test suite (PostgreSQL + Redis, then the core subset on SQLite)
	scripts/test.sh

setup:      ## Install dependencies only
	scripts/setup.sh dev

migrations: ## Create migrations after a model change
	.venv/bin/python manage.py makemigrations

lint:       ## ruff over the code and the tests (make test runs it too)
	.venv/bin/ruff check apps langops tests

messages:   ## Refresh the translation catalogues after changing user-facing strings
	.venv/bin/python manage.py makemessages -l ja --ignore=.venv --ignore=node_modules --ignore=tests
