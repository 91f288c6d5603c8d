"""Fixtures of the conformance suite and the case matrix it writes (target/conformance/matrix.md).

Every case records what it exercised (IdP, binding, signature placement, encryption, NameID
format, expected outcome, what the SP answered) with `record(...)`; the session writes the
matrix with each case's result and duration. Nothing here skips: a missing IdP, demo or browser
is an error.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import env as envmod  # noqa: E402
from harness.cluster import Cluster  # noqa: E402
from harness.demo import Demo  # noqa: E402
from harness.keycloak import KeycloakAdmin  # noqa: E402
from harness.mailsink import MailSink  # noqa: E402
from harness import setup as kcsetup  # noqa: E402

_MATRIX: dict[str, dict] = {}


@pytest.fixture(scope="session")
def env():
    return envmod.load()


@pytest.fixture(scope="session")
def kc(env):
    admin = KeycloakAdmin(env.kc_url, env.kc_admin_user, env.kc_admin_password)
    for company in env.realms:
        if not admin.realm_exists(env.realms[company]):
            raise RuntimeError(f"realm {env.realms[company]} missing: run scripts/conformance.sh")
    return admin


@pytest.fixture(scope="session")
def demo(env):
    d = Demo(env)
    d.wait_ready()
    return d


@pytest.fixture(scope="session")
def cluster(env):
    """The demo's cluster (its parts, to take down and bring back): cluster runs only."""
    return Cluster(env)


def pytest_collection_modifyitems(config, items):
    """Cases marked `cluster` need the demo as a cluster (SAMLSP_CONF_CLUSTER=1): a run of the
    single demo leaves them out (deselected, and says so), it does not skip or fail them."""
    try:
        clustered = "cluster" in envmod.load().raw
    except RuntimeError:
        return  # no env.json: the fixtures fail every case, saying why
    if clustered:
        return
    out = [i for i in items if i.get_closest_marker("cluster")]
    if out:
        config.hook.pytest_deselected(items=out)
        items[:] = [i for i in items if not i.get_closest_marker("cluster")]


@pytest.fixture(scope="session")
def mail_sink(env):
    """The local SMTP sink the demo sends to (its port is in env.json); cases may stop and
    start it to take the mail server down."""
    smtp = env.raw["smtp"]
    sink = MailSink(int(smtp["port"]), pathlib.Path(smtp["dir"]), env.artifacts / "smtp-sink.log")
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def clients(env, kc, demo):
    """The Keycloak SAML clients, created by importing the demo's SP metadata through the admin
    REST API, then given the settings each company's case needs."""
    return kcsetup.create_clients(env, kc, demo)


@pytest.fixture
def record(request):
    """record(key=value, ...): what this case exercised and saw, for the matrix."""
    entry = _MATRIX.setdefault(request.node.nodeid, {"name": request.node.name, "info": {}})

    def _record(**info):
        entry["info"].update(info)

    return _record


def pytest_runtest_makereport(item, call):
    if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
        entry = _MATRIX.setdefault(item.nodeid, {"name": item.name, "info": {}})
        entry["outcome"] = "passed" if call.excinfo is None else "FAILED"
        entry["seconds"] = round(call.stop - call.start, 2)
        entry["doc"] = " ".join((item.function.__doc__ or "").split())
        entry["module"] = item.module.__name__


def pytest_sessionfinish(session, exitstatus):
    try:
        env = envmod.load()
    except RuntimeError:
        return
    env.artifacts.mkdir(parents=True, exist_ok=True)
    rows = [e for e in _MATRIX.values() if "outcome" in e]
    (env.artifacts / "matrix.json").write_text(json.dumps(rows, indent=2, default=str))
    lines = [
        "# Conformance matrix",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; Keycloak {env.kc_version}, "
        f"SimpleSAMLphp {env.raw.get('simplesamlphp', {}).get('version', '?')}, "
        f"{env.raw.get('chromium_version', '')}.",
        "",
        "| case | result | s | what | details |",
        "|---|---|---|---|---|",
    ]
    for e in rows:
        info = "; ".join(f"{k}={v}" for k, v in e["info"].items())
        lines.append(f"| `{e['name']}` | {e['outcome']} | {e['seconds']} | {e.get('doc', '')} | {info} |")
    (env.artifacts / "matrix.md").write_text("\n".join(lines) + "\n")
