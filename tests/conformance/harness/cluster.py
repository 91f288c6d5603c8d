"""The demo as a cluster (scripts/conformance.sh with SAMLSP_CONF_CLUSTER=1): two instances
behind nginx, sharing Redis and PostgreSQL, all started by scripts/cluster/start.sh. The fault
cases take parts of it down and back up through the same scripts, with the values the run
recorded in env.json: an instance killed and started again (`start.sh --instance`), PostgreSQL
stopped and started again (scripts/postgres/stop.sh, start.sh; its data kept).
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import time

import requests


class Cluster:
    def __init__(self, env):
        c = env.raw.get("cluster")
        if c is None:
            raise RuntimeError("not a cluster run: scripts/conformance.sh with SAMLSP_CONF_CLUSTER=1")
        self.repo = env.repo
        self.state = pathlib.Path(c["state"])
        self.script_env = c["env"]  # SAMLSP_CLUSTER_*, SAMLSP_REDIS_PORT, SAMLSP_PG_*
        self.demo_cmd = env.raw["demo"]["cmd"]
        self.demo_env = env.raw["demo"]["env"]
        ports = self.script_env["SAMLSP_CLUSTER_INSTANCE_PORTS"].split()
        self.instances = dict(zip("abcd", ports))  # name -> port
        self.access_log = self.state / "nginx" / "access.log"

    # -- the instances -------------------------------------------------------------------------

    def pgid(self, name: str) -> int:
        return int((self.state / f"instance-{name}.pid").read_text().strip())

    def alive(self, name: str) -> bool:
        try:
            os.killpg(self.pgid(name), 0)
            return True
        except (ProcessLookupError, FileNotFoundError):
            return False

    def kill(self, name: str, timeout: float = 10) -> None:
        """SIGKILL to the instance's process group (a crash: no shutdown, nothing flushed), then
        waits until its port refuses connections."""
        os.killpg(self.pgid(name), signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while self.alive(name) or self._answers(name):
            assert time.monotonic() < deadline, f"instance {name} still up {timeout}s after SIGKILL"
            time.sleep(0.05)

    def _answers(self, name: str) -> bool:
        try:
            requests.get(f"http://127.0.0.1:{self.instances[name]}/healthz", timeout=1)
            return True
        except requests.RequestException:
            return False

    def start(self, name: str) -> str:
        """Starts instance `name` again as the cluster's start did (same port, Redis, database,
        command and settings); returns the script's output. It waits until /healthz answers."""
        out = subprocess.run(
            [str(self.repo / "scripts/cluster/start.sh"), "--instance", name, *self.demo_cmd],
            env={**os.environ, **self.demo_env, **self.script_env},
            capture_output=True, text=True, timeout=180,
        )
        assert out.returncode == 0, f"start.sh --instance {name}: {out.stdout}{out.stderr}"
        return out.stdout

    # -- PostgreSQL ----------------------------------------------------------------------------

    def _pg(self, script: str, *args: str) -> str:
        out = subprocess.run(
            [str(self.repo / "scripts/postgres" / script), *args],
            env={**os.environ, **self.script_env}, capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, f"scripts/postgres/{script}: {out.stdout}{out.stderr}"
        return out.stdout

    def pg_stop(self, mode: str = "fast") -> str:
        """pg_ctl stop -m fast (by default): open sessions ended, open transactions rolled back."""
        return self._pg("stop.sh", mode)

    def pg_start(self) -> str:
        """Starts the same server again (same data, port, settings); returns its status line."""
        return self._pg("start.sh").splitlines()[-2]

    # -- nginx's record ------------------------------------------------------------------------

    def log_offset(self) -> int:
        return self.access_log.stat().st_size

    def statuses_since(self, offset: int) -> list[tuple[str, int, str]]:
        """(request line, status, instance) of every request nginx answered since `offset`."""
        rx = re.compile(r'"([^"]*)" (\d{3}) instance=(\S*)')
        with open(self.access_log, "rb") as f:
            f.seek(offset)
            lines = f.read().decode(errors="replace").splitlines()
        return [(m.group(1), int(m.group(2)), m.group(3)) for m in map(rx.search, lines) if m]
