"""``bpfopa doctor``: is this host ready to run bpfopa?

Every check is a small function that takes what it looks at (a path, a kernel release string, an
euid getter, …) as a parameter with the real thing as its default, and returns a
:class:`CheckResult`. The tests point them at missing files, empty directories and fake binaries;
the command runs them against the host as it is.

Output, one line per check, and for each failure the one command that fixes it::

    ok   kernel: 6.18.44 (>= 5.11)
    FAIL tracefs: /sys/kernel/tracing/events/syscalls is missing
         fix: mount -t tracefs tracefs /sys/kernel/tracing

The exit status is 0 only when every check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import platform
import re
import shlex
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from bpfopa._paths import PROJECT_ROOT
from bpfopa.decode import escape_for_terminal
from bpfopa.errors import OpaBinaryError, RuntimeApiError
from bpfopa.policy._binary import OPA_VERSION, find_opa, opa_version
from bpfopa.runtime import DEFAULT_SOCKETS, EngineClient, connect

__all__ = [
    "BTF_PATH",
    "MIN_KERNEL",
    "MODULES_DIR",
    "TRACING_DIR",
    "CheckResult",
    "check_bcc",
    "check_bpf_load",
    "check_btf",
    "check_kernel",
    "check_kernel_headers",
    "check_opa",
    "check_ringbuf",
    "check_root",
    "check_runtime",
    "check_tracefs",
    "format_result",
    "register",
    "report",
    "run",
    "run_checks",
]

# 5.8: the BPF ring buffer; 5.11: bpf_get_current_task_btf, through which the probes read
# kernel structs as BTF-typed loads.
MIN_KERNEL = (5, 11)
BTF_PATH = Path("/sys/kernel/btf/vmlinux")
TRACING_DIR = Path("/sys/kernel/tracing")
MODULES_DIR = Path("/lib/modules")
SETUP_SCRIPT = PROJECT_ROOT / "scripts" / "setup.sh"
SUDO_FIX = "sudo bpfopa doctor"
KERNEL_FTRACE_FIX = "boot a kernel built with CONFIG_FTRACE_SYSCALLS=y (syscall tracepoints)"
# Besides the syscalls, capture follows processes through these (bpfopa/capture/_probes.py).
PROCESS_TRACEPOINTS = ("sched/sched_process_exec", "sched/sched_process_exit")
_BTF_MAGIC = 0xEB9F  # struct btf_header.magic, in the kernel's byte order

# Exercises what the real probes need from BCC: kernel headers (struct task_struct), helpers and
# the verifier. The function name has no ``tracepoint__``/``kprobe__`` prefix on purpose, so BCC
# does not auto-attach it: the check loads the program into the kernel and attaches nothing.
PROBE_FUNCTION = "bpfopa_doctor_probe"
LOAD_PROBE_SOURCE = r"""
#include <linux/sched.h>
int bpfopa_doctor_probe(void *ctx) {
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 pid_tgid = bpf_get_current_pid_tgid();
    return task == 0 || pid_tgid == 0;
}
"""
RINGBUF_PROBE_SOURCE = r"""
BPF_RINGBUF_OUTPUT(bpfopa_doctor_ring, 1);
int bpfopa_doctor_probe(void *ctx) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    bpfopa_doctor_ring.ringbuf_output(&pid, sizeof(pid), 0);
    return 0;
}
"""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check; ``fix`` is the one command (or step) that repairs a failure."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name=name, ok=True, detail=detail)


def _failed(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=detail, fix=fix)


def _setup_fix() -> str:
    return f"run {SETUP_SCRIPT}"


def _error_text(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


# --- checks -------------------------------------------------------------------------------------


def check_root(geteuid: Callable[[], int] = os.geteuid, rerun: str = SUDO_FIX) -> CheckResult:
    """Loading BPF programs and reading tracefs need root (CAP_BPF + CAP_PERFMON at least)."""
    euid = geteuid()
    if euid == 0:
        return _passed("root", "running as euid 0")
    return _failed("root", f"running as euid {euid}; loading BPF programs needs root", rerun)


def _kernel_version(release: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match[1]), int(match[2])) if match else None


def check_kernel(release: str | None = None) -> CheckResult:
    """Kernel >= 5.11: the ring buffer and the helpers the probes use."""
    release = platform.release() if release is None else release
    need = ".".join(map(str, MIN_KERNEL))
    version = _kernel_version(release)
    if version is None:
        return _failed(
            "kernel", f"cannot read a version from release {release!r}", f"boot Linux >= {need}"
        )
    if version < MIN_KERNEL:
        return _failed(
            "kernel", f"{release} is older than {need}", f"boot Linux >= {need} (with BTF)"
        )
    return _passed("kernel", f"{release} (>= {need})")


def check_btf(path: Path = BTF_PATH) -> CheckResult:
    """The running kernel's BTF: the probes take every struct offset from it."""
    fix = "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (and sysfs mounted at /sys)"
    try:
        with path.open("rb") as btf:
            header = btf.read(2)
    except FileNotFoundError:
        return _failed("btf", f"{path} is missing", fix)
    except PermissionError:
        return _failed("btf", f"{path} is not readable (permission denied)", SUDO_FIX)
    except OSError as exc:
        return _failed("btf", f"cannot read {path}: {_error_text(exc)}", fix)
    if len(header) < 2 or int.from_bytes(header, sys.byteorder) != _BTF_MAGIC:
        return _failed("btf", f"{path} does not start with the BTF magic 0xeb9f", fix)
    return _passed("btf", f"{path} readable")


def check_tracefs(tracing_dir: Path = TRACING_DIR) -> CheckResult:
    """tracefs with the tracepoints capture attaches to: syscalls and process exec/exit."""
    events = tracing_dir / "events"
    syscalls = events / "syscalls"
    mount_fix = f"mount -t tracefs tracefs {shlex.quote(str(tracing_dir))}"
    try:
        events.stat()
        mode = syscalls.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        if not events.is_dir():
            return _failed("tracefs", f"{syscalls} is missing (tracefs not mounted?)", mount_fix)
        # tracefs is there, but the kernel has no syscall tracepoints: no mount can help.
        return _failed("tracefs", f"{syscalls} is missing", KERNEL_FTRACE_FIX)
    except PermissionError:
        return _failed("tracefs", f"{syscalls} is not readable (permission denied)", SUDO_FIX)
    except OSError as exc:
        return _failed("tracefs", f"cannot stat {syscalls}: {_error_text(exc)}", mount_fix)
    if not stat.S_ISDIR(mode):
        return _failed("tracefs", f"{syscalls} is not a directory", mount_fix)
    try:
        count = sum(1 for entry in os.scandir(syscalls) if entry.name.startswith("sys_enter_"))
    except OSError as exc:
        return _failed("tracefs", f"cannot list {syscalls}: {_error_text(exc)}", mount_fix)
    if count == 0:
        return _failed("tracefs", f"{syscalls} has no sys_enter_* tracepoints", KERNEL_FTRACE_FIX)
    missing = [name for name in PROCESS_TRACEPOINTS if not (events / name).is_dir()]
    if missing:
        listed = ", ".join(str(events / name) for name in missing)
        return _failed("tracefs", f"missing process tracepoints: {listed}", KERNEL_FTRACE_FIX)
    return _passed("tracefs", f"{syscalls} has {count} syscall entry tracepoints")


def check_kernel_headers(
    modules_dir: Path = MODULES_DIR, release: str | None = None
) -> CheckResult:
    """Headers BCC compiles the probes against (struct offsets still come from BTF)."""
    release = platform.release() if release is None else release
    build = modules_dir / release / "build"
    include = build / "include"
    try:
        mode = include.stat().st_mode
    except FileNotFoundError:
        if build.is_symlink():
            target = os.readlink(build)
            detail = f"{build} points at {target}, which has no include/"
        else:
            detail = f"{include} is missing"
        return _failed("headers", detail, _setup_fix())
    except OSError as exc:
        return _failed("headers", f"cannot stat {include}: {_error_text(exc)}", _setup_fix())
    if not stat.S_ISDIR(mode):
        return _failed("headers", f"{include} is not a directory", _setup_fix())
    resolved = build.resolve()
    via = f" (-> {resolved})" if resolved != build else ""
    return _passed("headers", f"{include} present{via}")


def check_bcc(module: str = "bcc") -> CheckResult:
    """BCC's Python bindings: Debian's python3-bpfcc, seen through --system-site-packages."""
    try:
        bcc = importlib.import_module(module)
    except ImportError as exc:
        return _failed("bcc", f"cannot import {module}: {exc}", _setup_fix())
    version = getattr(bcc, "__version__", "unknown version")
    return _passed("bcc", f"{module} {version} from {getattr(bcc, '__file__', '?')}")


@contextmanager
def _output_captured() -> Iterator[IO[bytes]]:
    """Catch what BCC's C++ side writes to fds 1 and 2 (clang diagnostics, "Unable to find kernel
    headers") so the report stays one line per check.

    Redirects the process-wide fds for the duration: only for the single-threaded doctor run.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile() as captured:
        try:
            for fd in saved:
                os.dup2(captured.fileno(), fd)
            yield captured
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


def _first_diagnostic(captured: IO[bytes]) -> str | None:
    """The most telling line BCC printed: a clang error, EPERM, missing headers."""
    captured.seek(0)
    lines = [
        line.strip() for line in captured.read(64 * 1024).decode(errors="replace").splitlines()
    ]
    lines = [line for line in lines if line]
    for word in ("error:", "not permitted", "unable", "failed", "error"):
        for line in lines:
            if word in line.lower():
                return line
    return lines[0] if lines else None


def _load_probe(
    name: str, source: str, module: str, geteuid: Callable[[], int], what: str
) -> CheckResult:
    try:
        bcc: Any = importlib.import_module(module)
    except ImportError as exc:
        return _failed(name, f"cannot import {module}: {exc}", _setup_fix())
    fix = _setup_fix() if geteuid() == 0 else SUDO_FIX
    with _output_captured() as captured:
        program: Any = None
        try:
            program = bcc.BPF(text=source.encode())
            function = program.load_func(PROBE_FUNCTION.encode(), bcc.BPF.TRACEPOINT)
            loaded = f"{what} loaded (program fd {function.fd}), attached nothing, unloaded"
        except Exception as exc:  # BCC raises bare Exception for compile and load errors
            diagnostic = _first_diagnostic(captured)
            return _failed(name, f"{exc}: {diagnostic}" if diagnostic else str(exc), fix)
        finally:
            if program is not None:
                program.cleanup()
    return _passed(name, loaded)


def check_bpf_load(
    source: str = LOAD_PROBE_SOURCE, module: str = "bcc", geteuid: Callable[[], int] = os.geteuid
) -> CheckResult:
    """BCC compiles a tiny tracepoint program against the headers and the kernel loads it."""
    return _load_probe("bpf-load", source, module, geteuid, "test tracepoint program compiled and")


def check_ringbuf(
    source: str = RINGBUF_PROBE_SOURCE, module: str = "bcc", geteuid: Callable[[], int] = os.geteuid
) -> CheckResult:
    """BPF_MAP_TYPE_RINGBUF (Linux 5.8+): created, and a program writing to it is verified."""
    return _load_probe("ringbuf", source, module, geteuid, "ring buffer map created and writer")


def check_opa(
    version: str = OPA_VERSION,
    override: str | None = None,
    locate: Callable[[str], Path] = find_opa,
) -> CheckResult:
    """The pinned OPA (``$BPFOPA_OPA``, else ``.bin/opa``, else ``opa`` on PATH).

    ``override`` is ``$BPFOPA_OPA`` (read by :func:`run_checks`): a variable that names another
    version is a mistake worth a failure even though ``find_opa`` would fall back past it.
    """
    if override:
        found = opa_version(Path(override))
        if found != version:
            return _failed(
                "opa",
                f"BPFOPA_OPA={override} is {found or 'not a runnable opa'}, need OPA {version}",
                f"unset BPFOPA_OPA (or point it at OPA {version}); {_setup_fix()} installs it",
            )
    try:
        binary = locate(version)
    except OpaBinaryError as exc:
        return _failed("opa", str(exc), _setup_fix())
    return _passed("opa", f"{binary} is OPA {version}")


async def _ping(socket: Path) -> str:
    """Which runtime answers on ``socket``, and through which API."""
    client, name = await connect(socket, timeout_s=3.0)
    await client.aclose()
    # A CRI runtime's name already says "(CRI v1)".
    return f"{name} (Docker Engine API)" if isinstance(client, EngineClient) else name


def check_runtime(sockets: Sequence[Path] = DEFAULT_SOCKETS) -> CheckResult:
    """The container runtime's API, for container metadata (``bpfopa run --runtime-socket``).

    No socket at all is fine (a host without containers): events then carry cgroup-derived
    container ids only, and the line says so. A socket that does not answer is a failure when
    none answers; beside one that does, it is named in the line (on Docker hosts containerd's
    socket is there, with its CRI plugin off, and ``bpfopa run`` goes on without it).
    """
    found: list[str] = []
    broken: list[str] = []
    for socket in sockets:
        if not socket.exists():
            continue
        if not os.access(socket, os.R_OK | os.W_OK):
            return _failed("runtime", f"{socket}: permission denied", SUDO_FIX)
        try:
            found.append(f"{asyncio.run(_ping(socket))} at {socket}")
        except RuntimeApiError as exc:
            broken.append(str(exc))
    if broken and not found:
        return _failed(
            "runtime",
            "; ".join(broken),
            "start the container engine, or give bpfopa run the socket that answers "
            "(--runtime-socket PATH)",
        )
    if found:
        unused = f" (not asked: {'; '.join(broken)})" if broken else ""
        return _passed("runtime", "container metadata from " + ", ".join(found) + unused)
    return _passed(
        "runtime",
        "no container runtime socket ("
        + ", ".join(str(s) for s in sockets)
        + "): containers get cgroup-derived ids only",
    )


# --- the command ----------------------------------------------------------------------------------


def format_result(result: CheckResult) -> str:
    """``ok   name: detail`` or ``FAIL name: detail`` plus an indented ``fix:`` line.

    Details carry host paths and BCC diagnostics: escaped so they cannot drive the terminal.
    """
    if result.ok:
        return f"ok   {result.name}: {escape_for_terminal(result.detail)}"
    return (
        f"FAIL {result.name}: {escape_for_terminal(result.detail)}\n"
        f"     fix: {escape_for_terminal(result.fix or 'see README.md')}"
    )


def report(results: Sequence[CheckResult], out: IO[str]) -> int:
    """Print every result; the exit status is 0 only when all passed."""
    for result in results:
        print(format_result(result), file=out)
    return 0 if results and all(result.ok for result in results) else 1


def _rerun_command(argv0: str) -> str:
    """How to run this doctor again as root, spelled so sudo's PATH does not matter."""
    if argv0.endswith(".py") or not argv0:
        return f"sudo {shlex.quote(sys.executable)} -m bpfopa.cli doctor"
    return f"sudo {shlex.quote(os.path.abspath(argv0) if os.sep in argv0 else argv0)} doctor"


def run_checks(rerun: str = SUDO_FIX) -> list[CheckResult]:
    """All checks against this host, in the order a person would fix them."""
    results = [
        check_root(rerun=rerun),
        check_kernel(),
        check_btf(),
        check_tracefs(),
        check_kernel_headers(),
        check_bcc(),
        check_bpf_load(),
        check_ringbuf(),
        check_opa(override=os.environ.get("BPFOPA_OPA")),
        check_runtime(),
    ]
    # Checks that fail for want of root say so with SUDO_FIX; spell it as this very command.
    return [replace(r, fix=rerun) if r.fix == SUDO_FIX else r for r in results]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("doctor", help="check that this host can run bpfopa")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return report(run_checks(rerun=_rerun_command(sys.argv[0])), sys.stdout)
