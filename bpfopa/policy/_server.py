"""A managed ``opa run --server`` on a free loopback port, restarted when it dies.

The capture must not trace OPA itself (every evaluation would cause more events), so the current
pid is handed to ``on_pid_change`` whenever it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import enum
import logging
import os
import random
import signal
import socket
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import aiohttp

from bpfopa._paths import POLICIES_DIR
from bpfopa.errors import OpaBinaryError, OpaUnavailableError
from bpfopa.policy._binary import find_opa

__all__ = ["ManagedOpa", "ServerState"]

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
#: Go GC target for the managed OPA (Go's default is 100); see docs/pipeline.md.
DEFAULT_GOGC = 400


class ServerState(enum.Enum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    STOPPING = "stopping"
    STOPPED = "stopped"


def _die_with_parent() -> None:
    """In the OPA child before exec: get SIGTERM when bpfopa dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux/glibc: the normal stop path still applies
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ManagedOpa:
    """Runs the pinned OPA with the bundled policies (plus ``extra_policies``) on 127.0.0.1."""

    def __init__(
        self,
        *,
        extra_policies: Sequence[Path] = (),
        include_bundled: bool = True,
        binary: Path | None = None,
        on_pid_change: Callable[[int], None] | None = None,
        startup_timeout_s: float = 30.0,
        stop_timeout_s: float = 5.0,
        restart_initial_s: float = 0.2,
        restart_max_s: float = 10.0,
        log_file: Path | None = None,
        gogc: int | None = DEFAULT_GOGC,
    ) -> None:
        self._policies = ([POLICIES_DIR] if include_bundled else []) + list(extra_policies)
        if not self._policies:
            raise ValueError("ManagedOpa needs at least one policy directory")
        self._binary = binary
        self._on_pid_change = on_pid_change
        self._startup_timeout_s = startup_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._restart_initial_s = restart_initial_s
        self._restart_max_s = restart_max_s
        self._log_file = log_file
        self._env = dict(os.environ)
        # Parsing large inputs is allocation-heavy in OPA; a larger GC target trades a little
        # memory (OPA's heap is tens of MB) for markedly more events/s. $GOGC still wins.
        if gogc is not None:
            self._env.setdefault("GOGC", str(gogc))
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._port = 0
        self.state = ServerState.NEW
        self.restarts = 0
        self.last_exit_code: int | None = None

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("ManagedOpa has not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    def set_pid_callback(self, callback: Callable[[int], None] | None) -> None:
        """Set the hook told every new OPA pid (called at once when OPA runs already)."""
        self._on_pid_change = callback
        if callback is not None and self.pid is not None:
            callback(self.pid)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start OPA and return once ``/health`` answers; raise when it does not come up."""
        if self.state is not ServerState.NEW:
            raise RuntimeError(f"ManagedOpa.start() in state {self.state.value}")
        if self._binary is None:
            self._binary = await asyncio.to_thread(find_opa)
        self.state = ServerState.STARTING
        for attempt in range(3):
            # The free port can be taken between our probe and OPA's bind: try another one.
            self._port = _free_port()
            try:
                await self._spawn()
                break
            except OpaUnavailableError:
                if attempt == 2:
                    self.state = ServerState.STOPPED
                    raise
        self.state = ServerState.RUNNING
        self._supervisor = asyncio.create_task(self._supervise(), name="managed-opa-supervisor")

    async def _spawn(self, *, restart: bool = False) -> None:
        assert self._binary is not None
        args = [
            str(self._binary),
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{self._port}",
            "--log-level",
            "error",
            *(str(p) for p in self._policies),
        ]
        # OPA's own log goes to log_file, else to a scratch file we quote when it fails to start.
        out: IO[bytes] = (
            self._log_file.open("ab") if self._log_file is not None else tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
        )
        try:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *args,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=out,
                    stderr=out,
                    env=self._env,
                    preexec_fn=_die_with_parent,
                )
            except OSError as exc:
                raise OpaBinaryError(f"cannot run {self._binary}: {exc}") from exc
            self._proc = proc
            if restart:
                # Counted when the new process exists: clients may see it healthy (and the run
                # end) before our own health poll does.
                self.restarts += 1
            try:
                await self._wait_healthy(proc)
            except OpaUnavailableError as exc:
                await self._terminate(proc)
                out.seek(0)
                tail = out.read()[-2000:].decode("utf-8", "replace").strip()
                raise OpaUnavailableError(f"{exc}\n{tail}" if tail else str(exc)) from exc
            except BaseException:
                await self._terminate(proc)
                raise
        finally:
            out.close()
        if self._on_pid_change is not None:
            self._on_pid_change(proc.pid)

    async def _wait_healthy(self, proc: asyncio.subprocess.Process) -> None:
        url = f"http://127.0.0.1:{self._port}/health"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._startup_timeout_s
        timeout = aiohttp.ClientTimeout(total=1)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if proc.returncode is not None:
                    raise OpaUnavailableError(
                        f"OPA exited with code {proc.returncode} while starting "
                        f"(policies: {', '.join(map(str, self._policies))}); "
                        "check them with 'opa check'"
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            return
                if loop.time() > deadline:
                    raise OpaUnavailableError(
                        f"OPA did not become healthy within {self._startup_timeout_s}s"
                    )
                await asyncio.sleep(0.05)

    async def _supervise(self) -> None:
        delay = self._restart_initial_s
        while self.state is ServerState.RUNNING:
            proc = self._proc
            assert proc is not None
            code = await proc.wait()
            if self.state is not ServerState.RUNNING:
                return
            self.last_exit_code = code
            self.state = ServerState.RESTARTING
            log.warning("managed OPA (pid %d) exited with %s; restarting", proc.pid, code)
            while self.state is ServerState.RESTARTING:
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, self._restart_max_s)
                try:
                    await self._spawn(restart=True)
                except (OpaUnavailableError, OpaBinaryError) as exc:
                    log.warning("restarting managed OPA failed: %s", exc)
                    continue
                self.state = ServerState.RUNNING
                delay = self._restart_initial_s

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), self._stop_timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def aclose(self) -> None:
        """Stop OPA: SIGTERM, then SIGKILL after ``stop_timeout_s``."""
        if self.state in (ServerState.STOPPED, ServerState.NEW):
            self.state = ServerState.STOPPED
            return
        self.state = ServerState.STOPPING
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._proc is not None:
            await self._terminate(self._proc)
        self.state = ServerState.STOPPED
