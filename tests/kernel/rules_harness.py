"""One real `bpfopa run` (kernel capture + managed OPA + bundled policies) for live rule tests.

Actions run in child processes; the alerts that belong to an action are those whose process,
parent or any recorded ancestor has the action's pid, so concurrent activity on the host
(other test sessions, the readiness canaries) never counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from bpfopa.policy._binary import find_opa
from bpfopa.policy._rules_cli import load_rules

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"
PYTHON = "/usr/bin/python3"  # comm "python3": one of Falco's interpreted binaries

Alert = dict[str, Any]


def rules_off_by_default() -> list[str]:
    """The rules that are off by default (Falco ships them disabled), less those that would
    switch the kernel's open filter off (lib/events.open_unfiltered_rules): the live runs
    keep the probes filtering as a default run does."""
    policies = load_rules(find_opa(), POLICIES_DIR)
    done = subprocess.run(
        [str(find_opa()), "eval", "--format", "json", "--data", str(POLICIES_DIR),
         "data.bpfopa.lib.events.open_unfiltered_rules"],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    unfiltered = set(json.loads(done.stdout)["result"][0]["expressions"][0]["value"])
    return [rule.id for rule in policies if not rule.enabled and rule.id not in unfiltered]


def is_drop(alert: Alert) -> bool:
    """bpfopa's own alert that it lost syscall events."""
    return alert.get("source") == "internal" and "drop" in str(alert.get("rule"))


def process_pids(alert: Alert) -> set[int]:
    """The pids an alert's process chain names: itself, its parent and its ancestors."""
    process = alert.get("process")  # the alert's process summary
    if not isinstance(process, dict):  # bpfopa's internal alerts (event drops, ...) have none
        return set()
    pids = {process.get("pid"), process.get("ppid")}
    parent = process.get("parent") or {}
    pids.add(parent.get("pid"))
    pids.update(a.get("pid") for a in process.get("ancestors") or [])
    return {p for p in pids if isinstance(p, int)}


@dataclass
class LiveRun:
    """`bpfopa run --output-file`: alerts are read back from the JSONL file as they arrive."""

    workdir: Path
    #: Called with the pid of the run and of each of its children (the managed OPA) once.
    on_pid: Callable[[int], None] | None = None
    #: More `bpfopa run` options (e.g. --runtime-socket, --webhook-url).
    args: Sequence[str] = ()
    #: Where the run's stdout (its alerts) goes; None: nowhere (--quiet).
    stdout: Path | None = None
    #: Rules that are off by default (Falco ships them disabled) to switch on, through
    #: data.bpfopa.config.enabled_rules in a data file the managed OPA loads.
    enabled_rules: Sequence[str] = ()
    out: Path = field(init=False)
    proc: subprocess.Popen[str] = field(init=False)
    _alerts: list[Alert] = field(init=False, default_factory=list)
    _offset: int = field(init=False, default=0)
    _reported: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.out = self.workdir / "alerts.jsonl"
        stdout = self.stdout.open("wb") if self.stdout is not None else subprocess.DEVNULL
        extra: list[str] = []
        if self.enabled_rules:
            config = self.workdir / "config"
            config.mkdir()
            data = {"bpfopa": {"config": {"enabled_rules": list(self.enabled_rules)}}}
            (config / "data.json").write_text(json.dumps(data))
            extra = ["--policies", str(config)]
        self.proc = subprocess.Popen(
            [
                str(BPFOPA),
                "run",
                "--metrics-addr",
                "0",
                *(["--quiet"] if self.stdout is None else []),
                "--output-file",
                str(self.out),
                *self.args,
                *extra,
            ],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        if self.stdout is not None:
            stdout.close()  # type: ignore[union-attr]

    def alerts(self) -> list[Alert]:
        """Every alert written so far (complete lines only)."""
        if self.out.exists():
            with self.out.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
            end = chunk.rfind(b"\n") + 1
            for line in chunk[:end].splitlines():
                if line.strip():
                    self._alerts.append(json.loads(line))
            self._offset += end
        return self._alerts

    def _report_pids(self) -> None:
        if self.on_pid is None:
            return
        pids = {self.proc.pid}
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                pids.update(int(p) for p in (task / "children").read_text().split())
        for pid in pids - self._reported:
            self.on_pid(pid)
            self._reported.add(pid)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Ready once a canary (`cat /etc/shadow`) went all the way through to an alert."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._report_pids()
            if self.proc.poll() is not None:
                raise AssertionError(f"bpfopa run exited early: {self.proc.stderr.read()}")  # type: ignore[union-attr]
            canary = subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=True)
            del canary
            seen = time.monotonic() + 1.0
            while time.monotonic() < seen:
                if any(a["rule"] == "Read sensitive file untrusted" for a in self.alerts()):
                    return
                time.sleep(0.05)
        code, err = self.stop()
        raise AssertionError(
            f"bpfopa run never alerted on the canary within {timeout:.0f} s "
            f"(stopped: exit {code}; stderr: {err[-3000:]})"
        )

    def barrier(self, timeout: float) -> bool:
        """Wait until the pipeline has caught up with now: a canary `cat /etc/shadow` run
        after the action has alerted. False when it did not within `timeout` seconds."""
        canary = subprocess.Popen(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        canary.wait(10)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(canary.pid in process_pids(a) for a in self.alerts()):
                return True
            time.sleep(0.05)
        return False

    def alerts_for(
        self, pid: int, expected: set[str], timeout: float = 60.0, settle: float = 0.3
    ) -> tuple[list[Alert], bool]:
        """Alerts of `pid`'s process tree, once the pipeline has processed everything up to
        the end of the action (see `barrier`; the run lags behind when the shared host is
        busy) and `settle` seconds more, so that unexpected extra alerts show too. Also
        says whether the barrier was reached."""
        caught_up = self.barrier(timeout)
        time.sleep(settle)
        return [a for a in self.alerts() if pid in process_pids(a)], caught_up

    def check(
        self, action: Callable[[], int], expected: set[str], attempts: int = 3
    ) -> tuple[int, list[Alert], list[Alert], bool]:
        """Run `action` (returns the pid to follow) and collect its alerts. When expected
        alerts are missing AND bpfopa reported lost events meanwhile (its internal drop alert;
        the host is shared with other busy sessions), the run could not see the action, so it
        is repeated. Returns (pid, its alerts, the drop alerts of the last attempt, whether the
        pipeline caught up)."""
        for _ in range(attempts):
            mark = len(self.alerts())
            pid = action()
            alerts, caught_up = self.alerts_for(pid, expected)
            drops = [a for a in self.alerts()[mark:] if is_drop(a)]
            if expected <= {a["rule"] for a in alerts} or not drops:
                break
            warnings.warn(
                f"bpfopa lost events while pid {pid} ran ({drops[-1].get('output')}); "
                "repeating the action",
                stacklevel=2,
            )
        return pid, alerts, drops, caught_up

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err

    @contextlib.contextmanager
    def running(self, timeout: float) -> Iterator[LiveRun]:
        """Ready (``timeout``: BCC compiles the probes first, slow on a loaded host) for the
        block; stopped after it, and the run must have ended cleanly."""
        try:
            self.wait_ready(timeout=timeout)
            yield self
        finally:
            code, err = self.stop()
        assert code == 0, err


def run_action(
    argv: Sequence[str],
    *,
    check: bool = True,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 20.0,
) -> int:
    """Run one action to completion; returns its pid."""
    proc = subprocess.Popen(
        list(argv),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = proc.communicate(timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{argv!r} exited {proc.returncode}: {err.decode(errors='replace')}")
    return proc.pid


def python_action(code: str, *args: str, **kwargs: Any) -> int:
    """`python3 -I -S -c code args...`: a process doing exactly the syscalls the code does."""
    return run_action([PYTHON, "-I", "-S", "-c", code, *args], **kwargs)


def named_copy(directory: Path, name: str, source: str = "/bin/true") -> Path:
    """A copy of `source` under `name`: the kernel names the process after the file."""
    target = directory / name
    shutil.copy(source, target)
    target.chmod(0o755)
    return target


def unique(prefix: str = "bpfopa-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def removed_after(*paths: Path) -> Iterator[None]:
    """Remove files/directories the test creates outside its temp dir, even on failure."""
    try:
        yield
    finally:
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def host_has_default_route() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("198.51.100.1", 9))  # UDP connect: route lookup only, no packet sent
    except OSError:
        return False
    return True


def env_with(**extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(extra)
    return env
