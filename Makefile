# The two commands of the README. Both are idempotent: a second run skips finished setup.
.PHONY: run test setup bench lint
run:            ## set up and start the app (browser mode on http://127.0.0.1:7860)
	scripts/run.sh $(ARGS)
test:           ## set up and run all tests that can run here
	scripts/test.sh $(ARGS)
setup:          ## set up only (run profile)
	scripts/setup.sh run
lint:           ## ruff (pyflakes, bugbear, isort; see ruff.toml)
	.venv/bin/ruff check .
