"""`bpfopa run` live: nobody cannot switch detection off through the managed OPA, SIGHUP
reloads the policies (a broken change is refused and the old rules keep firing), and a
terminal's Ctrl-C drains bpfopa while its OPA, in a process group of its own, stops last."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bpfopa._paths import PROJECT_ROOT
from tests.opa.faulty_rules import GOOD, MISSPELT_SYSCALL, write_rule

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"
SENSITIVE = "Read sensitive file untrusted"
CUSTOM = "Custom custom_good"
CUSTOM_PATH = Path("/dev/shm/bpfopa-custom-good")

NOBODY_PUT = """
import sys, urllib.request, urllib.error
body = b'{"disabled_rules": ["read_sensitive_file_untrusted"]}'
url = sys.argv[1] + "/v1/data/bpfopa/exceptions"
try:
    urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT"), timeout=10)
    print(204)
except urllib.error.HTTPError as error:
    print(error.code)
"""


def alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def fires(out: Path, rule: str, command: list[str], within: float = 15.0) -> bool:
    """Run ``command`` until an alert of ``rule`` for one of its pids arrives."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        proc.wait(5)
        for _ in range(50):
            if any(
                a["rule"] == rule and a.get("process", {}).get("pid") == proc.pid
                for a in alerts(out)
            ):
                return True
            time.sleep(0.02)
    return False


def managed_opa(parent: int) -> tuple[int, str]:
    """(pid, url) of the newest `opa run` child of ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == parent and argv[1:3] == [b"run", b"--server"]:
            addr = argv[argv.index(b"--addr") + 1].decode()
            found.append((int(entry.name), f"http://{addr}"))
    assert found, "no managed OPA"
    return max(found)


def test_run_token_reload_and_ctrl_c(tmp_path: Path) -> None:
    custom, out = tmp_path / "custom", tmp_path / "alerts.jsonl"
    custom.mkdir()
    CUSTOM_PATH.write_text("x")
    run = subprocess.Popen(
        [str(BPFOPA), "run", "--metrics-addr", "0", "--quiet", "--output-file", str(out),
         "--policies", str(custom)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own session: killpg below is a terminal's Ctrl-C
    )  # fmt: skip
    try:
        if not fires(out, SENSITIVE, ["cat", "/etc/shadow"], within=180):
            run.kill()
            raise AssertionError(f"bpfopa run never alerted: {run.communicate()[1][-3000:]}")
        opa_pid, opa_url = managed_opa(run.pid)
        assert os.getpgid(opa_pid) != os.getpgid(run.pid)

        # nobody cannot switch the rule off; detection still fires.
        put = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "/usr/bin/python3", "-c", NOBODY_PUT, opa_url],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert put.stdout.strip() == "401"
        assert fires(out, SENSITIVE, ["cat", "/etc/shadow"])

        # SIGHUP with a new valid rule: it fires.
        assert not fires(out, CUSTOM, ["cat", str(CUSTOM_PATH)], within=1.0)
        write_rule(custom, "custom_good", GOOD)
        run.send_signal(signal.SIGHUP)
        assert fires(out, CUSTOM, ["cat", str(CUSTOM_PATH)], within=60)

        # SIGHUP with a broken rule: refused with file:line, the rules loaded keep firing.
        bad = write_rule(custom, "custom_misspelt", MISSPELT_SYSCALL)
        run.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while not any("reload refused" in a["rule"] for a in alerts(out)):
            assert time.monotonic() < deadline, "no refusal alert"
            time.sleep(0.1)
        refusal = next(a for a in alerts(out) if "reload refused" in a["rule"])
        assert f"{bad}:8: " in refusal["output"]
        assert fires(out, CUSTOM, ["cat", str(CUSTOM_PATH)])
        assert fires(out, SENSITIVE, ["cat", "/etc/shadow"])

        # Ctrl-C: SIGINT to bpfopa's process group; OPA is not in it and stops after the drain.
        opa_pid, _ = managed_opa(run.pid)
        os.killpg(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        CUSTOM_PATH.unlink(missing_ok=True)
    assert run.returncode == 0, err
    assert "policy engine unavailable" not in err  # OPA was not killed under the drain
    summary = json.loads(err.split("summary ", 1)[1].splitlines()[0])
    assert summary["books"]["balanced"] and summary["books"]["pending"] == 0
    assert not Path(f"/proc/{opa_pid}").exists()
