# Two commands set everything up on a machine with only Python 3 and pip:
#   make demo   -> .venv, the project installed, its main job (relucap report)
#   make test   -> .venv, the project installed with its test extra, the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The report audits a trained scikit-learn network: the demo installs the sklearn extra.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[sklearn]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	# CPU wheel from the local find-links (checked: pulls no nvidia-* packages, ~20 s)
	$(BIN)/python -m pip install -q 'torch==2.13.0'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/relucap report

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

# The attack benchmark compares against torchattacks: installed without its dependencies, which
# would replace the pinned CPU torch (it needs only torch, numpy and scipy at run time).
bench: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[sklearn,onnx]' 'torch==2.13.0'
	$(BIN)/python -m pip install -q --no-deps 'torchattacks==3.5.1'
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
