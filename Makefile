# Two commands set everything up on a machine with only Python 3 and pip:
#   make demo    -> .venv, the project installed, its main job (relucap report)
#   make test    -> .venv, the project installed with its test extra, the whole test suite
# and two more check what a release needs (CI runs both after the tests):
#   make docs    -> the documentation site in docs/_build/html (Sphinx, warnings are errors)
#   make package -> CITATION.cff validated, sdist and wheel built into dist/, twine check
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench docs package clean

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

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@

# The package checks get their own venv: cffconvert pins an old jsonschema.
RELEASE := .venv-release
$(RELEASE)/.installed: pyproject.toml
	$(PYTHON) -m venv $(RELEASE)
	$(RELEASE)/bin/python -m pip install -q --upgrade pip
	$(RELEASE)/bin/python -m pip install -q 'build>=1.0' 'twine>=5.0' 'cffconvert>=2.0'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/relucap report

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

docs: $(VENV)/.installed-docs
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

package: $(RELEASE)/.installed
	$(RELEASE)/bin/cffconvert --validate -i CITATION.cff
	rm -rf dist
	$(RELEASE)/bin/python -m build -q --outdir dist .
	$(RELEASE)/bin/twine check --strict dist/*
	$(RELEASE)/bin/python -c "import glob, sys, zipfile; names = zipfile.ZipFile(glob.glob('dist/*.whl')[0]).namelist(); \
	    sys.exit(0 if any(n.startswith('relucap/proofs_notes/') for n in names) else 'the wheel lacks the proof notes')"

# The attack benchmark compares against torchattacks: installed without its dependencies, which
# would replace the pinned CPU torch (it needs only torch, numpy and scipy at run time).
bench: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[sklearn,onnx]' 'torch==2.13.0'
	$(BIN)/python -m pip install -q --no-deps 'torchattacks==3.5.1'
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(RELEASE) build dist *.egg-info .pytest_cache .hypothesis docs/_build docs/_generated
