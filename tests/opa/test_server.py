"""The managed OPA server: starts, reports its pid, comes back after a crash, stops."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bpfopa.errors import OpaUnavailableError, PolicyEngineError
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


NOBODY_PUT = """
import sys, urllib.request, urllib.error
body = b'{"disabled_rules": ["read_sensitive_file_untrusted"]}'
url = sys.argv[1] + "/v1/data/bpfopa/exceptions"
request = urllib.request.Request(url, data=body, method="PUT")
try:
    urllib.request.urlopen(request, timeout=10)
    print(204)
except urllib.error.HTTPError as error:
    print(error.code)
"""


async def test_token_required_and_own_process_group(policy_dir: Path) -> None:
    """With authentication (as `bpfopa run` starts it) nobody without the token can read or
    write OPA's data: a local user cannot switch detection off. OPA runs in a process group of
    its own, so a terminal's Ctrl-C reaches bpfopa only."""
    async with ManagedOpa(
        include_bundled=False, extra_policies=[policy_dir], authentication=True
    ) as opa:
        assert opa.pid is not None and opa.token
        assert os.getpgid(opa.pid) == opa.pid != os.getpgrp()
        put = await asyncio.create_subprocess_exec(
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/python3", "-c", NOBODY_PUT, opa.url, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await put.communicate()
        assert out.decode().strip() == "401"
        async with OpaClient(OpaClientConfig(url=opa.url)) as anonymous:
            with pytest.raises(PolicyEngineError, match="401"):
                await anonymous.get_data("bpfopa/main/syscalls")
        async with OpaClient(OpaClientConfig(url=opa.url, token=opa.token)) as client:
            evaluation = await client.evaluate([{"event": {"path": "/etc/shadow"}, "process": {}}])
            assert len(evaluation.alerts) == 1
            assert await client.get_data("bpfopa/exceptions") is None  # nothing was written
        # The token is not on disk, only its digest, in a directory that is root's alone.
        authz = next(Path(p) for p in opa.policies[:1]).parents[1] / "authz.rego"
        assert opa.token not in authz.read_text()
        assert authz.parent.stat().st_mode & 0o777 == 0o700
