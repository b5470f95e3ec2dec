"""A managed ``opa run --server`` on a free loopback port, restarted when it dies.

The capture must not trace OPA itself (every evaluation would cause more events), so the current
pid is handed to ``on_pid_change`` whenever it changes.

Least exposure (``authentication=True``, as ``bpfopa run`` starts it): OPA requires a bearer
token (``--authentication=token --authorization=basic``
with a ``system.authz`` policy holding only the token's SHA-256), random per start and known
to bpfopa alone, so no local user can read verdicts or switch rules off through its API. It
runs in a process group of its own, so a Ctrl-C or ``systemctl stop`` (``KillMode=mixed``)
reaches bpfopa only, and bpfopa stops OPA last, after the drain.

Policies are loaded from a private staged copy (:meth:`ManagedOpa.stage`): a restart after a
crash loads what was validated, never a half-edited file. :meth:`ManagedOpa.swap_policies`
starts a second OPA with a new staged set and switches to it only once it evaluates (the
clients follow through ``on_url_change``); the old one stops after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import enum
import hashlib
import logging
import os
import random
import secrets
import shutil
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


def _child_setup() -> None:
    """In the OPA child before exec: a process group of its own (a terminal's Ctrl-C and
    systemd's KillMode=mixed SIGTERM reach bpfopa only, which stops OPA after draining), and
    SIGTERM when bpfopa dies, even by SIGKILL."""
    os.setpgid(0, 0)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux/glibc: the normal stop path still applies
        pass


AUTHZ_POLICY = """package system.authz

# Written by bpfopa for its managed OPA: only the holder of bpfopa's random token may use the
# API. The token is not stored, only its SHA-256.
default allow := false

allow if crypto.sha256(input.identity) == "{digest}"
"""


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
        authentication: bool = False,
        swap_grace_s: float = 10.0,
    ) -> None:
        self.sources: list[Path] = ([POLICIES_DIR] if include_bundled else []) + list(
            extra_policies
        )
        if not self.sources:
            raise ValueError("ManagedOpa needs at least one policy directory")
        self._policies: list[Path] = list(self.sources)
        #: The bearer token clients must send (None with ``authentication=False``).
        self.token: str | None = secrets.token_urlsafe(32) if authentication else None
        self._private: Path | None = None
        self._generation = 0
        self._swap_grace_s = swap_grace_s
        self._on_url_change: list[Callable[[str], None]] = []
        self._retired: set[asyncio.Task[None]] = set()
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
    def policies(self) -> list[Path]:
        """The staged policy paths OPA has loaded."""
        return list(self._policies)

    def on_url_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(url)`` when :meth:`swap_policies` moves OPA to another port."""
        self._on_url_change.append(callback)

    def _private_dir(self) -> Path:
        if self._private is None:
            # 0700, root's: the staged policies and the authz policy are bpfopa's alone.
            self._private = Path(tempfile.mkdtemp(prefix="bpfopa-opa-"))
            if self.token is not None:
                digest = hashlib.sha256(self.token.encode()).hexdigest()
                authz = self._private / "authz.rego"
                authz.write_text(AUTHZ_POLICY.replace("{digest}", digest))
                authz.chmod(0o600)
        return self._private

    def stage(self, sources: Sequence[Path] | None = None) -> tuple[list[Path], dict[str, str]]:
        """A private copy of ``sources`` (default: the configured policy paths): the staged
        paths, and the mapping from each staged path back to its original (for messages)."""
        self._generation += 1
        root = self._private_dir() / f"policies-{self._generation}"
        root.mkdir()
        staged: list[Path] = []
        names: dict[str, str] = {}
        for i, source in enumerate(sources if sources is not None else self.sources):
            target = root / f"{i}-{source.name or 'policies'}"
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*"))
            else:
                shutil.copy2(source, target)
            staged.append(target)
            names[str(target)] = str(source)
        return staged, names

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
        self._policies, _ = await asyncio.to_thread(self.stage)
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
        def created(proc: asyncio.subprocess.Process) -> None:
            self._proc = proc
            if restart:
                # Counted when the new process exists: clients may see it healthy (and the run
                # end) before our own health poll does.
                self.restarts += 1

        await self._launch(self._port, self._policies, created)

    async def _launch(
        self,
        port: int,
        policies: Sequence[Path],
        on_created: Callable[[asyncio.subprocess.Process], None] | None = None,
    ) -> asyncio.subprocess.Process:
        """Start OPA on ``port`` with ``policies``; return it once it answers."""
        assert self._binary is not None
        args = [
            str(self._binary),
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
        ]
        if self.token is not None:
            authz = self._private_dir() / "authz.rego"
            args += ["--authentication=token", "--authorization=basic", str(authz)]
        args += [str(p) for p in policies]
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
                    preexec_fn=_child_setup,
                )
            except OSError as exc:
                raise OpaBinaryError(f"cannot run {self._binary}: {exc}") from exc
            if on_created is not None:
                on_created(proc)
            try:
                await self._wait_healthy(proc, port, policies)
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
        return proc

    async def swap_policies(self, policies: Sequence[Path]) -> None:
        """Serve ``policies`` (staged, validated) from a new OPA, switched to atomically once it
        answers; the old one keeps serving until then and stops after a grace period for the
        requests in flight. Raises, with the old OPA untouched, when the new one fails."""
        if self.state is not ServerState.RUNNING:
            raise OpaUnavailableError(f"managed OPA is {self.state.value}: cannot reload now")
        port = _free_port()
        proc = await self._launch(port, policies)
        old = self._proc
        self._proc, self._port, self._policies = proc, port, list(policies)
        for callback in self._on_url_change:
            callback(self.url)
        if old is not None:
            task = asyncio.create_task(self._retire(old), name="managed-opa-retire")
            self._retired.add(task)
            task.add_done_callback(self._retired.discard)

    async def _retire(self, proc: asyncio.subprocess.Process) -> None:
        await asyncio.sleep(self._swap_grace_s)
        await self._terminate(proc)

    async def _wait_healthy(
        self, proc: asyncio.subprocess.Process, port: int, policies: Sequence[Path]
    ) -> None:
        url = f"http://127.0.0.1:{port}/health"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._startup_timeout_s
        timeout = aiohttp.ClientTimeout(total=1)
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            while True:
                if proc.returncode is not None:
                    raise OpaUnavailableError(
                        f"OPA exited with code {proc.returncode} while starting "
                        f"(policies: {', '.join(map(str, policies))}); "
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
            if proc is not self._proc:  # swapped out by a reload and retired: not a crash
                continue
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
        for task in list(self._retired):
            task.cancel()
        await asyncio.gather(*self._retired, return_exceptions=True)
        if self._proc is not None:
            await self._terminate(self._proc)
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
        self.state = ServerState.STOPPED
