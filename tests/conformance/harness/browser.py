"""Runs one of the playwright-core scripts in browser/ on a JSON plan and reads its steps: each
line of the script's output that starts with "{" is one step ({"step", "ok", "ms", "detail",
"screenshot"}). The scripts drive Debian's Chromium; what they click and expect is in the plan."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

CONFORMANCE = pathlib.Path(__file__).resolve().parent.parent


def run_plan(env, script: str, plan: dict, name: str) -> dict[str, dict]:
    """Writes `plan` to <artifacts>/<name>-plan.json, runs browser/<script> on it (at most 240 s),
    keeps its output in <artifacts>/<name>.log and returns the steps by name."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed")
    if not (CONFORMANCE / "node_modules" / "playwright-core").is_dir():
        raise RuntimeError("playwright-core is not installed (scripts/conformance.sh runs npm ci)")
    plan_file = env.artifacts / f"{name}-plan.json"
    plan_file.write_text(json.dumps(plan, indent=2))
    p = subprocess.run([node, str(CONFORMANCE / "browser" / script), str(plan_file)],
                       cwd=CONFORMANCE, capture_output=True, text=True, timeout=240)
    (env.artifacts / f"{name}.log").write_text(p.stdout + "\n--- stderr\n" + p.stderr)
    steps = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            s = json.loads(line)
            steps[s["step"]] = s
    if not steps:
        raise RuntimeError(f"the browser did not run (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
    return steps


def check_steps(steps: dict[str, dict], names: list[str], record) -> None:
    """Every named step ran and passed; their timings and details go into the matrix."""
    for n in names:
        s = steps.get(n)
        assert s is not None, f"step {n} did not run: {json.dumps(steps, indent=1)}"
        assert s["ok"], f"step {n}: {s['detail']} (screenshot {s.get('screenshot')})"
    record(**{n: f"{steps[n]['ms']}ms: {steps[n]['detail']}" for n in names})
