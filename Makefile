# Two entry points for people (README's Quick start); both install what is missing first.
.PHONY: setup run test
ARGS ?=

setup:
	scripts/setup.sh

run: setup
	scripts/run.sh $(ARGS)

test:
	scripts/test.sh $(ARGS)
