# The two Quick start commands. Both install what they need first (scripts/setup.sh).
.PHONY: setup pipeline test bench

setup:
	@bash scripts/setup.sh

## The main job: the whole pipeline on sample-service with local defaults.
pipeline: setup
	npm run --silent pipeline

## Unit, runner-contract and end-to-end tests (real docker, registry and git).
test: setup
	npm test

bench: setup
	npm run bench
