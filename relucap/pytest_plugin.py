"""relucap's pytest plugin (entry point ``pytest11``, loaded by every ``pytest`` run in an
environment where relucap is installed).

Fixtures:

- ``relucap_dps``: the working precision for high-precision checks (``--relucap-dps`` or the
  environment variable ``RELUCAP_DPS``; default 50);
- ``relucap_seed``: an int seed for the test, derived from the run's base seed (``--relucap-seed``
  or ``RELUCAP_SEED``; default 0) and the test's id, so tests do not share streams and a run is
  reproducible; it is printed in the report of a failing test;
- ``relucap_rng``: a ``numpy.random.Generator`` made from ``relucap_seed``.

Settings profiles ``dev`` (20 examples), ``ci`` (Hypothesis's ``ci`` profile: ``derandomize=True``,
no deadline, no database) and ``thorough`` (1000 examples), selected with ``--relucap-profile NAME``
or ``RELUCAP_PROFILE=NAME``; the profile also scales ``relucap.testing.check_theorem``'s
``max_examples`` (1/4, 1, 10).  ``dev`` and ``thorough`` are registered when pytest configures
(not on import), and only if no profile of that name exists yet, so they can also be loaded with
Hypothesis's own ``--hypothesis-profile``; the ``ci`` profile is only touched when selected here.
Nothing is loaded unless asked for: without the option or the variable, Hypothesis's settings are
left exactly as they were.
"""
from __future__ import annotations

import os
import zlib

import pytest

PROFILES = ("dev", "ci", "thorough")
EXAMPLES_FACTOR = {"dev": 0.25, "ci": 1.0, "thorough": 10.0}
DEFAULT_DPS = 50


def pytest_addoption(parser):
    group = parser.getgroup("relucap", "relucap: property tests of theorems")
    group.addoption("--relucap-profile", default=None, metavar="NAME",
                    help="Hypothesis settings profile: dev, ci (derandomized) or thorough "
                         "(env RELUCAP_PROFILE)")
    group.addoption("--relucap-dps", default=None, metavar="DIGITS",
                    help=f"digits for the relucap_dps fixture (env RELUCAP_DPS; default {DEFAULT_DPS})")
    group.addoption("--relucap-seed", default=None, metavar="SEED",
                    help="base seed of the relucap_seed / relucap_rng fixtures (env RELUCAP_SEED; default 0)")


def _setting(config, option, env, default):
    value = config.getoption(option)
    if value is None:
        value = os.environ.get(env) or None
    return default if value is None else value


def _int_setting(config, option, env, default, minimum, flag):
    value = _setting(config, option, env, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{flag} (or {env}) must be an integer >= {minimum}, got {value!r}") from None
    if number < minimum:
        raise pytest.UsageError(f"{flag} (or {env}) must be an integer >= {minimum}, got {value!r}")
    return number


def register_profiles():
    """Register ``dev`` and ``thorough`` unless profiles of those names exist."""
    from hypothesis import HealthCheck, settings
    from hypothesis.errors import InvalidArgument

    slow = [HealthCheck.too_slow, HealthCheck.filter_too_much]
    wanted = {"dev": dict(max_examples=20, deadline=None, suppress_health_check=slow),
              "thorough": dict(max_examples=1000, deadline=None, suppress_health_check=slow)}
    for name, kw in wanted.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, **kw)


def _load_profile(name):
    from hypothesis import HealthCheck, settings

    if name == "ci":
        # Hypothesis's own ci profile (derandomize=True, no deadline, no database), made explicit
        base = settings.get_profile("ci")
        settings.register_profile("ci", base, derandomize=True, deadline=None, database=None,
                                  suppress_health_check=sorted(set(base.suppress_health_check)
                                                               | {HealthCheck.too_slow}, key=lambda h: h.value))
    settings.load_profile(name)
    import relucap.testing

    relucap.testing.EXAMPLES_FACTOR = EXAMPLES_FACTOR[name]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.addinivalue_line("markers", "relucap: a property test of a theorem (relucap)")
    dps = _int_setting(config, "relucap_dps", "RELUCAP_DPS", DEFAULT_DPS, 5, "--relucap-dps")
    seed = _int_setting(config, "relucap_seed", "RELUCAP_SEED", 0, 0, "--relucap-seed")
    name = _setting(config, "relucap_profile", "RELUCAP_PROFILE", None)
    if name is not None and name not in PROFILES:
        raise pytest.UsageError(f"--relucap-profile (or RELUCAP_PROFILE) must be one of "
                                f"{', '.join(PROFILES)}, got {name!r}")
    config._relucap = {"dps": dps, "seed": seed, "profile": name}
    register_profiles()
    if name is not None:
        _load_profile(name)


def pytest_report_header(config):
    info = getattr(config, "_relucap", None)
    if info and info["profile"]:
        return f"relucap: profile {info['profile']}, dps {info['dps']}, base seed {info['seed']}"
    return None


@pytest.fixture
def relucap_dps(request):
    """Digits of working precision for high-precision checks (``--relucap-dps``, default 50)."""
    return request.config._relucap["dps"]


@pytest.fixture
def relucap_seed(request):
    """An int seed for this test: the run's base seed mixed with the test's id."""
    base = request.config._relucap["seed"]
    seed = (base * 1_000_003 + zlib.crc32(request.node.nodeid.encode())) % 2**63
    request.node.user_properties.append(("relucap_seed", seed))
    return seed


@pytest.fixture
def relucap_rng(relucap_seed):
    """A ``numpy.random.Generator`` seeded with ``relucap_seed``."""
    import numpy as np

    return np.random.default_rng(relucap_seed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        seeds = [v for k, v in getattr(item, "user_properties", ()) if k == "relucap_seed"]
        if seeds:
            report.sections.append(("relucap", f"relucap_seed = {seeds[0]} (base seed "
                                               f"{item.config._relucap['seed']}; rerun with --relucap-seed)"))
