"""A secret in a real process's environment never reaches a sink: one live `bpfopa run` (kernel
capture, managed OPA, bundled policies) with stdout, a file and a webhook that refuses some
alerts for good (413: they become dead letters); and a rule that names proc.env shows the
environment with the secret masked."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kernel.conftest import CaptureHarness
from tests.kernel.rules_harness import (
    PYTHON,
    LiveRun,
    env_with,
    named_copy,
    process_pids,
    run_action,
)

SECRET = "s3cr3t-4f9a1c-never-leaves"
PROXY_RULE = "Program run with disallowed http proxy env"
SHADOW_RULE = "Read sensitive file untrusted"


#: The receiver runs in a process of its own: this one also runs the session's capture, whose
#: decoding can starve a thread here for seconds on a busy host.
RECEIVER = """
import http.server, json, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "ab") as f:
            f.write(body + b"\\n")
        refused = json.loads(body).get("rule") == sys.argv[2]
        self.send_response(413 if refused else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A webhook receiver on 127.0.0.1 that refuses the shadow rule's alerts with 413."""
    bodies = tmp_path / "webhook-bodies"
    proc = subprocess.Popen([PYTHON, "-c", RECEIVER, str(bodies), SHADOW_RULE],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/", bodies
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.timeout(600)  # a live run's start (BCC compile) is slow on a busy shared host
def test_no_environment_secret_reaches_any_sink(
    tmp_path: Path, receiver: tuple[str, Path], capture_session: CaptureHarness
) -> None:
    spool = tmp_path / "spool"
    stdout = tmp_path / "stdout.jsonl"
    url, bodies = receiver
    run = LiveRun(tmp_path, on_pid=capture_session.source.exclude_pid, stdout=stdout,
                  args=("--webhook-url", url, "--webhook-spool", str(spool),
                        # only what the two actions need: the shared host is busy
                        "--syscalls", "openat,execve,execveat"))  # fmt: skip
    try:
        run.wait_ready(timeout=360)
        curl = named_copy(tmp_path, "curl")  # /bin/true named curl: no network needed
        secrets = {"GITHUB_TOKEN": SECRET, "DB_PASSWORD": SECRET,
                   "HTTP_PROXY": f"http://user:{SECRET}@127.0.0.1:3128"}  # fmt: skip
        shadow = run_action(["cat", "/etc/shadow"], env=env_with(**secrets))
        proxied = run_action([str(curl), "http://example.net/"], env=env_with(**secrets))
        found: dict[int, list[dict[str, object]]] = {}
        for pid, rule in ((shadow, SHADOW_RULE), (proxied, PROXY_RULE)):
            alerts, _ = run.alerts_for(pid, {rule}, timeout=120)
            found[pid] = [a for a in alerts if a["rule"] == rule]
            assert found[pid], f"no {rule!r} alert for pid {pid}"
    finally:
        code, err = run.stop()
    assert code == 0, err
    [proxy_alert] = found[proxied]
    env = proxy_alert["output_fields"]["proc.env"]  # type: ignore[index]
    assert "GITHUB_TOKEN=***" in env and "HTTP_PROXY=http://user:***@127.0.0.1:3128" in env
    assert "input" not in proxy_alert  # the document stays on the host
    assert found[shadow][0]["process"]["pid"] == shadow  # type: ignore[index]
    assert "proc.env" not in found[shadow][0]["output_fields"]  # type: ignore[operator]
    sinks = {
        "file": run.out.read_bytes(),
        "stdout": stdout.read_bytes(),
        "webhook": bodies.read_bytes(),
        "webhook dead letters": (spool / "rejected.jsonl").read_bytes(),
    }
    for name, data in sinks.items():
        assert data, f"{name}: nothing written"
        assert SECRET.encode() not in data, f"the secret reached {name}"
    assert shadow in {pid for line in sinks["webhook dead letters"].splitlines()
                      for pid in process_pids(json.loads(line)["alert"])}  # fmt: skip
    for path in (run.out, spool / "rejected.jsonl"):
        assert path.stat().st_mode & 0o777 == 0o600
    assert spool.stat().st_mode & 0o777 == 0o700
