# One command each on a fresh machine: every target installs what it needs
# into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: all compile debug run test test-cython test-pure lint bench bench-e2e compare clean

all: compile

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "setuptools>=77" "Cython>=3.0,<4" wheel
	$(PY) -m pip install -q --no-build-isolation -e '.[test]'
	touch $(STAMP)

# Rebuild the extensions in place after editing .pyx/.pxd files.
compile: $(STAMP)
	$(PY) setup.py -q build_ext --inplace

debug: $(STAMP)
	ROCKETMQ_DEBUG=1 $(PY) setup.py -q build_ext --inplace --force

# A NameServer (127.0.0.1:9876) and a broker (127.0.0.1:10911) in one process, data in ./store.
run: compile
	$(PY) -m rocketmq standalone

# The suite on the Cython core, then the _core tests again on the pure twin.
test: compile
	$(PY) -m pytest $(PYTEST_ARGS)
	ROCKETMQ_PUREPYTHON=1 $(PY) -m pytest tests/test_core_*.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check rocketmq tests perf
	$(PY) -m ruff format --check rocketmq tests perf

bench: compile
	$(PY) -m pytest perf/bench_codec.py perf/bench_store_codec.py --benchmark-only \
		--benchmark-columns=mean,ops
	$(PY) perf/rpc_roundtrip.py
	$(PY) perf/store_append.py
	$(PY) perf/e2e.py

# Java client end to end: our broker against Apache RocketMQ's, same run.
bench-e2e: compile
	$(PY) perf/e2e.py

# mqbench workloads against our broker and Apache RocketMQ's; prints the README table.
compare: compile
	$(PY) perf/compare.py

clean:
	rm -rf build $(VENV) rocketmq/_core/*.c rocketmq/_core/*.so rocketmq/_core/*.html
