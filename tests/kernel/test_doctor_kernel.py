"""``bpfopa doctor`` against the real host, with capabilities removed for real.

Each test runs the installed console script in a subprocess; the ones that hide something do it
in a private mount namespace (``unshare --mount --propagation private``), so the host's own
mounts are never touched, or as an unprivileged user (``setpriv``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from bpfopa._paths import PROJECT_ROOT
from bpfopa.doctor import check_bpf_load, check_ringbuf, run_checks
from tests.conftest import require

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"
ALL_CHECKS = {
    "root", "kernel", "btf", "tracefs", "headers", "bcc", "bpf-load", "ringbuf", "opa", "runtime",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Line:
    ok: bool
    detail: str
    fix: str


@dataclass(frozen=True, slots=True)
class DoctorRun:
    code: int
    stdout: str
    stderr: str
    checks: dict[str, Line]

    def failed(self) -> set[str]:
        return {name for name, line in self.checks.items() if not line.ok}


def parse(stdout: str) -> dict[str, Line]:
    """The documented format: ``ok   name: detail`` / ``FAIL name: detail`` + ``     fix: cmd``."""
    checks: dict[str, Line] = {}
    lines = stdout.splitlines()
    i = 0
    while i < len(lines):
        status, _, rest = lines[i].partition(" ")
        name, _, detail = rest.strip().partition(": ")
        assert status in ("ok", "FAIL"), f"unexpected line {lines[i]!r} in\n{stdout}"
        fix = ""
        if status == "FAIL":
            i += 1
            assert lines[i].startswith("     fix: "), f"no fix line after FAIL in\n{stdout}"
            fix = lines[i].removeprefix("     fix: ")
        checks[name] = Line(ok=status == "ok", detail=detail, fix=fix)
        i += 1
    return checks


def doctor(*wrapper: str, shell: str | None = None, env: dict[str, str] | None = None) -> DoctorRun:
    """``bpfopa doctor``, optionally inside ``wrapper`` (e.g. setpriv) or after a shell prelude."""
    command = [*wrapper, str(BPFOPA), "doctor"]
    if shell is not None:
        command = [*wrapper, "sh", "-c", f'{shell}\nexec "$0" doctor', str(BPFOPA)]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=env, cwd=PROJECT_ROOT
    )
    run = DoctorRun(proc.returncode, proc.stdout, proc.stderr, parse(proc.stdout))
    assert set(run.checks) == ALL_CHECKS, run
    return run


def in_private_mounts(prelude: str) -> DoctorRun:
    """Doctor in a private mount namespace after ``prelude`` changed its mounts."""
    return doctor("unshare", "--mount", "--propagation", "private", shell=f"set -e\n{prelude}")


@pytest.fixture(autouse=True)
def _root_and_tools() -> None:
    require(os.geteuid() == 0, "doctor kernel tests need root (BPF, mount namespaces)")
    require(BPFOPA.is_file(), f"{BPFOPA} missing: run scripts/setup.sh")
    for tool in ("unshare", "setpriv", "mount"):
        require(shutil.which(tool) is not None, f"{tool} (util-linux) not installed")


def test_doctor_passes_on_this_host() -> None:
    run = doctor()
    assert run.code == 0, run
    assert run.failed() == set(), run
    assert run.stderr == ""


def test_tracefs_replaced_by_tmpfs_fails_with_mount_fix() -> None:
    run = in_private_mounts(
        "umount /sys/kernel/tracing 2>/dev/null || true\nmount -t tmpfs none /sys/kernel/tracing"
    )
    assert run.code == 1, run
    assert run.failed() == {"tracefs"}, run
    assert run.checks["tracefs"].fix == "mount -t tracefs tracefs /sys/kernel/tracing"
    assert "/sys/kernel/tracing/events/syscalls is missing" in run.checks["tracefs"].detail


def test_tracefs_check_follows_a_remount_in_the_namespace() -> None:
    # The fix the doctor prints really is the fix: after it, the check passes again.
    run = in_private_mounts(
        "umount /sys/kernel/tracing 2>/dev/null || true\n"
        "mount -t tmpfs none /sys/kernel/tracing\n"
        "mount -t tracefs tracefs /sys/kernel/tracing"
    )
    assert run.code == 0, run


def test_btf_hidden_by_empty_tmpfs_fails() -> None:
    run = in_private_mounts("mount -t tmpfs none /sys/kernel/btf")
    assert run.code == 1, run
    assert run.failed() == {"btf"}, run
    assert "/sys/kernel/btf/vmlinux is missing" in run.checks["btf"].detail
    assert "CONFIG_DEBUG_INFO_BTF=y" in run.checks["btf"].fix


def test_kernel_headers_hidden_fail_headers_and_bpf_compile() -> None:
    run = in_private_mounts("mount -t tmpfs none /lib/modules")
    assert run.code == 1, run
    # BCC cannot compile anything without headers, so the two load checks fail with it.
    assert run.failed() == {"headers", "bpf-load", "ringbuf"}, run
    release = os.uname().release
    assert f"/lib/modules/{release}/build/include is missing" in run.checks["headers"].detail
    for name in ("headers", "bpf-load", "ringbuf"):
        assert run.checks[name].fix.endswith("scripts/setup.sh"), run
    assert "kernel headers" in run.checks["bpf-load"].detail
    # BCC's own complaint went into the detail, not onto the terminal around the report.
    assert run.stderr == ""


NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def nobody_can_run_bpfopa() -> bool:
    """A checkout under a 0700 directory (/root/...) is out of reach for uid 65534."""
    probe = subprocess.run([*NOBODY, str(BPFOPA), "--help"], capture_output=True, timeout=60)
    return probe.returncode == 0


def doctor_as_nobody(via_bind_mount: bool) -> tuple[DoctorRun, str]:
    """Doctor as uid/gid 65534; returns the run and the rerun command its root fix should name.

    Directly through the console script when uid 65534 can reach it; otherwise the checkout is
    bind-mounted at a world-reachable path in a private mount namespace and run from there.
    """
    if not via_bind_mount:
        return doctor(*NOBODY), f"sudo {BPFOPA} doctor"
    reachable = Path(tempfile.mkdtemp(prefix="bpfopa-nobody-"))
    reachable.chmod(0o755)
    try:
        prelude = (
            f"mount --bind {shlex.quote(str(PROJECT_ROOT))} {shlex.quote(str(reachable))}\n"
            f"export PYTHONPATH={shlex.quote(str(reachable))}\n"
            f"exec {shlex.join(NOBODY)} {shlex.quote(str(reachable / '.venv/bin/python'))}"
            " -m bpfopa.cli doctor"
        )
        run = doctor("unshare", "--mount", "--propagation", "private", shell=f"set -e\n{prelude}")
    finally:
        reachable.rmdir()
    python = reachable / ".venv" / "bin" / "python"
    return run, f"sudo {python} -m bpfopa.cli doctor"


@pytest.mark.parametrize("via_bind_mount", [False, True], ids=["console-script", "bind-mount"])
def test_non_root_user_fails_root_check_with_sudo_fix(via_bind_mount: bool) -> None:
    if not via_bind_mount and not nobody_can_run_bpfopa():
        via_bind_mount = True  # the checkout is not reachable for uid 65534: same test, moved
    run, rerun = doctor_as_nobody(via_bind_mount)
    assert run.code == 1, run
    assert not run.checks["root"].ok
    assert "euid 65534" in run.checks["root"].detail
    assert run.checks["root"].fix == rerun
    # The kernel refuses the unprivileged load for real; the fix is root, not a reinstall.
    assert not run.checks["bpf-load"].ok
    for line in run.checks.values():
        assert line.ok or line.fix == rerun, run


def test_bcc_kernel_source_pointing_at_empty_dir_fails_bpf_load(tmp_path: Path) -> None:
    # BCC_KERNEL_SOURCE redirects BCC's header lookup: the compile itself fails for real.
    env = {**os.environ, "BCC_KERNEL_SOURCE": str(tmp_path)}
    run = doctor(env=env)
    assert run.code == 1, run
    assert {"bpf-load", "ringbuf"} <= run.failed() <= {"bpf-load", "ringbuf"}, run
    assert "Failed to compile BPF module" in run.checks["bpf-load"].detail


def bpf_fds() -> list[str]:
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the directory's own fd, closed by now
            continue
    return sorted(link for link in links if link.startswith("anon_inode:bpf") or "btf" in link)


def test_load_checks_clean_up_every_program_and_map() -> None:
    before = bpf_fds()
    assert check_bpf_load().ok
    assert check_ringbuf().ok
    assert bpf_fds() == before


def test_broken_probe_source_fails_with_clang_diagnostic_and_cleans_up() -> None:
    before = bpf_fds()
    result = check_bpf_load(source="int bpfopa_doctor_probe(void *ctx) { return undeclared; }")
    assert not result.ok
    assert "undeclared" in result.detail and "error" in result.detail, result
    assert bpf_fds() == before


def test_run_checks_in_process_restores_stdout_and_stderr_fds() -> None:
    def identity(fd: int) -> tuple[int, int]:
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino)

    before = (identity(1), identity(2))
    results = run_checks()
    assert {r.name for r in results} == ALL_CHECKS
    assert all(r.ok for r in results), results
    # BCC's output was caught by redirecting fds 1 and 2; both point back where they were.
    assert (identity(1), identity(2)) == before
