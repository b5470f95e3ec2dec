"""``bpfopa doctor`` checks with their boundary pointed elsewhere: each one fails with its fix.

The kernel group (tests/kernel/test_doctor_kernel.py) removes the same capabilities for real.
"""

from __future__ import annotations

import inspect
import io
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfopa import doctor
from bpfopa.doctor import (
    CheckResult,
    check_bcc,
    check_bpf_load,
    check_btf,
    check_kernel,
    check_kernel_headers,
    check_opa,
    check_ringbuf,
    check_root,
    check_tracefs,
    format_result,
    report,
)
from bpfopa.errors import OpaBinaryError
from bpfopa.policy import OPA_VERSION

BTF_MAGIC = (0xEB9F).to_bytes(2, sys.byteorder)


def assert_fails_with(result: CheckResult, name: str, fix_part: str) -> str:
    """The check failed, names itself, and its printed report carries the fix line."""
    assert result.name == name
    assert not result.ok, result
    assert fix_part in result.fix
    lines = format_result(result).splitlines()
    assert lines[0].startswith(f"FAIL {name}: ")
    assert lines[1] == f"     fix: {result.fix}"
    return result.detail


# --- root ---------------------------------------------------------------------------------------


def test_root_fails_for_uid_1000_with_sudo_fix() -> None:
    detail = assert_fails_with(check_root(geteuid=lambda: 1000), "root", "sudo bpfopa doctor")
    assert "euid 1000" in detail


def test_root_passes_for_euid_0() -> None:
    result = check_root(geteuid=lambda: 0)
    assert result.ok
    assert format_result(result) == "ok   root: running as euid 0"


def test_root_fix_names_the_command_given() -> None:
    result = check_root(geteuid=lambda: 1000, rerun="sudo /opt/x/bin/bpfopa doctor")
    assert result.fix == "sudo /opt/x/bin/bpfopa doctor"


# --- kernel version -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "release", ["5.4.0", "5.9.16", "5.10.0-28-amd64", "4.19.0-27-amd64", "3.10.0"]
)
def test_kernel_older_than_5_11_fails(release: str) -> None:
    # "5.9" > "5.11" as strings: the comparison must be numeric.
    detail = assert_fails_with(check_kernel(release), "kernel", "Linux >= 5.11")
    assert release in detail


@pytest.mark.parametrize(
    "release", ["5.11.0", "5.15.0-91-generic", "6.1.0-18-cloud", "6.18.44-fc-v857"]
)
def test_kernel_5_11_and_newer_passes(release: str) -> None:
    assert check_kernel(release).ok


@pytest.mark.parametrize("release", ["", "linux", "v6"])
def test_kernel_release_without_version_fails(release: str) -> None:
    assert_fails_with(check_kernel(release), "kernel", "Linux >= 5.11")


# --- BTF ----------------------------------------------------------------------------------------


def test_btf_missing_file_fails(tmp_path: Path) -> None:
    missing = tmp_path / "btf" / "vmlinux"
    detail = assert_fails_with(check_btf(missing), "btf", "CONFIG_DEBUG_INFO_BTF=y")
    assert str(missing) in detail and "missing" in detail


def test_btf_file_without_magic_fails(tmp_path: Path) -> None:
    not_btf = tmp_path / "vmlinux"
    not_btf.write_bytes(b"\x7fELF\x02\x01")
    detail = assert_fails_with(check_btf(not_btf), "btf", "CONFIG_DEBUG_INFO_BTF=y")
    assert "magic" in detail


def test_btf_empty_file_fails(tmp_path: Path) -> None:
    empty = tmp_path / "vmlinux"
    empty.write_bytes(b"")
    assert_fails_with(check_btf(empty), "btf", "CONFIG_DEBUG_INFO_BTF=y")


def test_btf_directory_instead_of_file_fails(tmp_path: Path) -> None:
    assert_fails_with(check_btf(tmp_path), "btf", "CONFIG_DEBUG_INFO_BTF=y")


def test_btf_file_with_magic_passes(tmp_path: Path) -> None:
    btf = tmp_path / "vmlinux"
    btf.write_bytes(BTF_MAGIC + b"\x01\x00" + bytes(20))
    assert check_btf(btf).ok


# --- tracefs ------------------------------------------------------------------------------------


def test_tracefs_empty_dir_fails_with_mount_fix(tmp_path: Path) -> None:
    detail = assert_fails_with(
        check_tracefs(tmp_path), "tracefs", f"mount -t tracefs tracefs {tmp_path}"
    )
    assert "events/syscalls" in detail


def test_tracefs_missing_dir_fails_with_mount_fix(tmp_path: Path) -> None:
    hidden = tmp_path / "no-such-dir"
    assert check_tracefs(hidden).fix == f"mount -t tracefs tracefs {hidden}"


def test_check_defaults_are_the_real_host_paths() -> None:
    def default(check: Callable[..., CheckResult], parameter: str) -> object:
        return inspect.signature(check).parameters[parameter].default

    assert default(check_tracefs, "tracing_dir") == Path("/sys/kernel/tracing")
    assert default(check_btf, "path") == Path("/sys/kernel/btf/vmlinux")
    assert default(check_kernel_headers, "modules_dir") == Path("/lib/modules")
    assert default(check_root, "geteuid") is os.geteuid
    assert default(check_bcc, "module") == "bcc"


def test_tracefs_hostile_path_is_quoted_in_fix(tmp_path: Path) -> None:
    weird = tmp_path / "a b;rm -rf x"
    weird.mkdir()
    result = check_tracefs(weird)
    assert not result.ok
    assert result.fix == f"mount -t tracefs tracefs '{weird}'"


def fake_tracefs(root: Path, *tracepoints: str) -> Path:
    """A directory tree shaped like tracefs' events/ with the given category/name entries."""
    for tracepoint in tracepoints:
        (root / "events" / tracepoint).mkdir(parents=True)
    return root


COMPLETE = ("syscalls/sys_enter_openat", "sched/sched_process_exec", "sched/sched_process_exit")


def test_tracefs_mounted_without_syscall_tracepoints_needs_another_kernel(tmp_path: Path) -> None:
    fake_tracefs(tmp_path, "sched/sched_process_exec", "sched/sched_process_exit")
    detail = assert_fails_with(check_tracefs(tmp_path), "tracefs", "CONFIG_FTRACE_SYSCALLS=y")
    assert "events/syscalls is missing" in detail


def test_tracefs_without_sys_enter_tracepoints_needs_another_kernel(tmp_path: Path) -> None:
    (tmp_path / "events" / "syscalls").mkdir(parents=True)
    detail = assert_fails_with(check_tracefs(tmp_path), "tracefs", "CONFIG_FTRACE_SYSCALLS=y")
    assert "sys_enter_" in detail


def test_tracefs_syscalls_as_file_fails(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "syscalls").write_text("")
    assert_fails_with(check_tracefs(tmp_path), "tracefs", "mount -t tracefs")


def test_tracefs_without_process_exit_tracepoint_fails(tmp_path: Path) -> None:
    fake_tracefs(tmp_path, "syscalls/sys_enter_openat", "sched/sched_process_exec")
    detail = assert_fails_with(check_tracefs(tmp_path), "tracefs", "CONFIG_FTRACE_SYSCALLS=y")
    assert "sched/sched_process_exit" in detail
    assert "sched_process_exec" not in detail


def test_tracefs_counts_syscall_tracepoints(tmp_path: Path) -> None:
    fake_tracefs(tmp_path, *COMPLETE, "syscalls/sys_exit_openat", "syscalls/sys_enter_execve")
    (tmp_path / "events" / "syscalls" / "enable").write_text("0\n")
    result = check_tracefs(tmp_path)
    assert result.ok, result
    assert "has 2 syscall entry tracepoints" in result.detail


# --- kernel headers -----------------------------------------------------------------------------


def test_headers_empty_modules_dir_fails_with_setup_fix(tmp_path: Path) -> None:
    detail = assert_fails_with(
        check_kernel_headers(tmp_path, release="5.4.0"), "headers", "scripts/setup.sh"
    )
    assert str(tmp_path / "5.4.0" / "build" / "include") in detail


def test_headers_dangling_build_link_fails(tmp_path: Path) -> None:
    (tmp_path / "6.9.0").mkdir()
    (tmp_path / "6.9.0" / "build").symlink_to(tmp_path / "gone")
    detail = assert_fails_with(
        check_kernel_headers(tmp_path, release="6.9.0"), "headers", "scripts/setup.sh"
    )
    assert "points at" in detail and str(tmp_path / "gone") in detail


def test_headers_linked_generic_tree_passes_and_shows_target(tmp_path: Path) -> None:
    generic = tmp_path / "usr-src" / "linux-headers-6.1.0-56-amd64"
    (generic / "include").mkdir(parents=True)
    (tmp_path / "6.9.0").mkdir()
    (tmp_path / "6.9.0" / "build").symlink_to(generic)
    result = check_kernel_headers(tmp_path, release="6.9.0")
    assert result.ok
    assert str(generic) in result.detail


# --- BCC ----------------------------------------------------------------------------------------


def test_bcc_not_importable_fails_with_setup_fix() -> None:
    detail = assert_fails_with(check_bcc(module="bpfopa_no_such_bcc"), "bcc", "scripts/setup.sh")
    assert "bpfopa_no_such_bcc" in detail


@pytest.mark.parametrize("check", [check_bpf_load, check_ringbuf])
def test_bpf_load_without_bcc_fails_before_touching_the_kernel(
    check: Callable[..., CheckResult],
) -> None:
    result = check(module="bpfopa_no_such_bcc", geteuid=lambda: 0)
    assert result.name in ("bpf-load", "ringbuf")
    assert_fails_with(result, result.name, "scripts/setup.sh")


# --- OPA ----------------------------------------------------------------------------------------


def fake_opa(directory: Path, version: str) -> Path:
    script = directory / "opa"
    script.write_text(f'#!/bin/sh\necho "Version: {version}"\necho "Go Version: go1.25.0"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_opa_override_with_another_version_fails(tmp_path: Path) -> None:
    fake = fake_opa(tmp_path, "0.70.0")
    detail = assert_fails_with(check_opa(override=str(fake)), "opa", "unset BPFOPA_OPA")
    assert "0.70.0" in detail and OPA_VERSION in detail and str(fake) in detail


def test_opa_override_that_does_not_run_fails(tmp_path: Path) -> None:
    not_a_binary = tmp_path / "opa"
    not_a_binary.write_text("not a program")
    detail = assert_fails_with(check_opa(override=str(not_a_binary)), "opa", "scripts/setup.sh")
    assert "not a runnable opa" in detail


def test_opa_fake_binary_found_at_its_version_passes(tmp_path: Path) -> None:
    # check_opa runs the fake for real and compares what it prints with the wanted version.
    fake = fake_opa(tmp_path, "9.9.9")
    result = check_opa(version="9.9.9", override=str(fake), locate=lambda version: fake)
    assert result.ok
    assert str(fake) in result.detail


def test_opa_no_binary_at_the_pinned_version_fails_with_setup_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real find_opa: no candidate (BPFOPA_OPA, .bin/opa, PATH) is this version.
    fake = fake_opa(tmp_path, "0.70.0")
    monkeypatch.setenv("BPFOPA_OPA", str(fake))
    monkeypatch.setenv("PATH", str(tmp_path))
    detail = assert_fails_with(check_opa(version="0.0.1-none"), "opa", "scripts/setup.sh")
    assert "0.0.1-none" in detail and "0.70.0" in detail


def test_opa_locate_error_message_is_the_detail() -> None:
    def locate(version: str) -> Path:
        raise OpaBinaryError(f"need OPA {version} (no opa binary found); run scripts/setup.sh")

    detail = assert_fails_with(check_opa(locate=locate), "opa", "scripts/setup.sh")
    assert "no opa binary found" in detail


# --- report and output --------------------------------------------------------------------------


def test_report_prints_one_line_per_pass_and_fix_per_failure() -> None:
    out = io.StringIO()
    code = report(
        [
            CheckResult("kernel", True, "6.18 (>= 5.11)"),
            CheckResult("tracefs", False, "/x/events/syscalls is missing", "mount -t tracefs t /x"),
        ],
        out,
    )
    assert code == 1
    assert out.getvalue() == (
        "ok   kernel: 6.18 (>= 5.11)\n"
        "FAIL tracefs: /x/events/syscalls is missing\n"
        "     fix: mount -t tracefs t /x\n"
    )


def test_report_exit_0_only_when_all_pass() -> None:
    passing = [CheckResult("a", True, "x"), CheckResult("b", True, "y")]
    assert report(passing, io.StringIO()) == 0
    assert report([*passing, CheckResult("c", False, "z", "fix c")], io.StringIO()) == 1
    assert report([], io.StringIO()) == 1


def test_terminal_escapes_in_details_are_escaped() -> None:
    # A path from the host (or a BCC diagnostic) must not drive the terminal.
    line = format_result(CheckResult("btf", False, "/tmp/\x1b[2J\x07x\nFAKE ok", "fix\x1b]0;t"))
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b[2J" in line
    assert line.count("\n") == 1  # only the fix line break; the embedded newline is escaped


def test_rerun_command_is_absolute_for_a_path_and_module_form_for_a_script() -> None:
    assert doctor._rerun_command("bpfopa") == "sudo bpfopa doctor"
    venv_bin = os.path.join(os.sep, "opt", "b", ".venv", "bin", "bpfopa")
    assert doctor._rerun_command(venv_bin) == f"sudo {venv_bin} doctor"
    assert doctor._rerun_command("/x/bpfopa/cli.py").endswith(" -m bpfopa.cli doctor")


def test_doctor_subcommand_is_registered() -> None:
    from bpfopa.cli import build_parser

    args = build_parser().parse_args(["doctor"])
    assert args.handler is doctor.run
