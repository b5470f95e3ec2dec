"""The managed OPA server: starts, reports its pid, comes back after a crash, stops."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bpfopa.errors import OpaUnavailableError
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig, ServerState

POLICY = """package bpfopa.main

import rego.v1

syscalls contains "openat"

alerts contains {
	"index": i, "rule": "r", "id": "r", "priority": "NOTICE", "output": "o", "tags": [],
} if {
	some i, ev in input.events
	ev.event.path == "/etc/shadow"
}
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    (tmp_path / "main.rego").write_text(POLICY)
    return tmp_path


async def test_restart_after_kill(policy_dir: Path) -> None:
    pids: list[int] = []
    opa = ManagedOpa(
        include_bundled=False,
        extra_policies=[policy_dir],
        on_pid_change=pids.append,
        restart_initial_s=0.05,
    )
    async with opa:
        assert opa.state is ServerState.RUNNING
        assert opa.url.startswith("http://127.0.0.1:")
        assert pids == [opa.pid]
        first = pids[0]
        os.kill(first, signal.SIGKILL)
        for _ in range(400):
            if opa.restarts == 1 and opa.state is ServerState.RUNNING:
                break
            await asyncio.sleep(0.025)
        assert opa.restarts == 1
        assert opa.last_exit_code == -signal.SIGKILL
        assert len(pids) == 2 and pids[1] != first and opa.pid == pids[1]
        async with OpaClient(OpaClientConfig(url=opa.url)) as client:
            await client.health()
            evaluation = await client.evaluate([{"event": {"path": "/etc/shadow"}, "process": {}}])
            assert len(evaluation.alerts) == 1
        last = pids[1]
    assert opa.state is ServerState.STOPPED
    assert not alive(last)


async def test_broken_policy_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text("package bpfopa.main\n\nalerts contains x if {\n")
    opa = ManagedOpa(include_bundled=False, extra_policies=[tmp_path], startup_timeout_s=10)
    with pytest.raises(OpaUnavailableError, match="exited with code"):
        await opa.start()
    assert opa.state is ServerState.STOPPED
    assert opa.pid is None


async def test_pid_callback_set_later_gets_current_pid(policy_dir: Path) -> None:
    async with ManagedOpa(include_bundled=False, extra_policies=[policy_dir]) as opa:
        seen: list[int] = []
        opa.set_pid_callback(seen.append)
        assert seen == [opa.pid]


CHILD = """
import asyncio, sys
from pathlib import Path
from bpfopa.policy import ManagedOpa

async def main():
    opa = ManagedOpa(include_bundled=False, extra_policies=[Path(sys.argv[1])])
    await opa.start()
    print(opa.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_opa_dies_with_a_killed_parent(policy_dir: Path) -> None:
    """Even SIGKILL of bpfopa (no cleanup runs) does not leave an orphaned OPA behind."""
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(policy_dir), stdout=asyncio.subprocess.PIPE
    )
    assert parent.stdout is not None
    line = await asyncio.wait_for(parent.stdout.readline(), 30)
    opa_pid = int(line)
    assert alive(opa_pid)
    parent.kill()
    await parent.wait()
    for _ in range(200):
        if not alive(opa_pid):
            break
        await asyncio.sleep(0.025)
    assert not alive(opa_pid)
