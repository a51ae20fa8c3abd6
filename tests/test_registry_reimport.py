"""An import of a module that registers theorems can be interrupted (Ctrl-C, a time budget) and
retried: the retry must not fail as "already registered" (it made every later command of a CLI
session exit 2), while a real duplicate still does."""
import importlib
import sys

import pytest

from relucap.theory import registry

MODULE = '''
import os, sympy
from relucap.theory.registry import Theorem, register
x = sympy.Symbol("x")
register(Theorem(id="test.reimport.{tag}", title="t", source="test", statement=sympy.Ge(x**2, 0)))
if os.environ.get("RELUCAP_TEST_INTERRUPT") == "1":
    raise KeyboardInterrupt       # the first import stops here, after registering
'''


def _cleanup(name, ids):
    sys.modules.pop(name, None)
    for i in ids:
        registry.THEOREMS.pop(i, None)
        registry._ORIGIN.pop(i, None)


def test_interrupted_import_can_be_retried(tmp_path, monkeypatch):
    name = "relucap_reimport_probe"
    (tmp_path / f"{name}.py").write_text(MODULE.format(tag="a"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        monkeypatch.setenv("RELUCAP_TEST_INTERRUPT", "1")
        with pytest.raises(KeyboardInterrupt):
            importlib.import_module(name)
        first = registry.THEOREMS["test.reimport.a"]
        assert name not in sys.modules          # Python dropped the half-made module
        monkeypatch.setenv("RELUCAP_TEST_INTERRUPT", "0")
        importlib.import_module(name)           # failed before the fix: "already registered"
        assert registry.THEOREMS["test.reimport.a"] is not first
    finally:
        _cleanup(name, ["test.reimport.a"])


def test_a_real_duplicate_is_still_refused(tmp_path, monkeypatch):
    name = "relucap_duplicate_probe"
    (tmp_path / f"{name}.py").write_text(MODULE.format(tag="b") + MODULE.format(tag="b"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ValueError, match="'test.reimport.b' is already registered"):
            importlib.import_module(name)
    finally:
        _cleanup(name, ["test.reimport.b"])
    # and another module cannot take over an id
    with pytest.raises(ValueError, match="already registered by relucap.theory"):
        registry.register(registry.THEOREMS["cap.density"])
