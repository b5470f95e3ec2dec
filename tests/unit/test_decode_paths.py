"""resolve_path/resolve_at: lexical, checked against the kernel's own resolution where the path
has no symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bpfopa.decode import AT_FDCWD, resolve_at, resolve_path


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("/etc/passwd", None, "/etc/passwd"),
        ("/etc//passwd", "/x", "/etc/passwd"),
        ("//etc/passwd", None, "/etc/passwd"),
        ("///etc/./passwd/", None, "/etc/passwd"),
        ("/../../etc", None, "/etc"),
        ("passwd", "/etc", "/etc/passwd"),
        ("./.bashrc", "/root", "/root/.bashrc"),
        ("../../../../etc/shadow", "/var/www", "/etc/shadow"),
        ("a/../b", "/", "/b"),
        (".", "/tmp", "/tmp"),
        ("..", "/", "/"),
        ("x", "//srv//", "/srv/x"),
    ],
)
def test_lexical_resolution(path: str, base: str | None, expected: str) -> None:
    assert resolve_path(path, base) == expected


@pytest.mark.parametrize(
    ("path", "base"),
    [("", "/"), ("", None), ("rel", None), ("rel", ""), ("rel", "not/absolute")],
)
def test_unknown_results_are_none(path: str, base: str | None) -> None:
    assert resolve_path(path, base) is None


def test_agrees_with_the_kernel_without_symlinks(tmp_path: Path) -> None:
    base = tmp_path / "a" / "b"
    (base / "c").mkdir(parents=True)
    (tmp_path / "a" / "x").mkdir()
    (tmp_path / "a" / "x" / "f").write_text("")
    (base / "c" / "g").write_text("")
    cases = ["c/g", "./c/../c/g", "../x/f", "../../a/x/f", "c//g", "../b/c/./g"]
    dirfd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for rel in cases:
            resolved = resolve_path(rel, str(base))
            assert resolved is not None
            # The file the kernel opens relative to the directory fd is the one we named.
            assert os.stat(resolved).st_ino == os.stat(rel, dir_fd=dirfd).st_ino
            assert resolved == os.path.realpath(os.path.join(base, rel))
    finally:
        os.close(dirfd)


def test_dotdot_after_a_symlink_is_lexical(tmp_path: Path) -> None:
    # Documented difference: like Falco, `..` is taken against the link's name.
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "sub")
    resolved = resolve_path("link/../f", str(tmp_path))
    assert resolved == str(tmp_path / "f")
    assert os.path.realpath(tmp_path / "link" / ".." / "f") == str(tmp_path / "real" / "f")


def test_resolve_at_uses_cwd_or_the_dirfd_path() -> None:
    assert resolve_at(AT_FDCWD, "x", cwd="/home/u", dirfd_path="/d") == "/home/u/x"
    assert resolve_at(0xFFFFFF9C, "x", cwd="/home/u") == "/home/u/x"
    assert resolve_at((1 << 64) - 100, "x", cwd="/home/u") == "/home/u/x"
    assert resolve_at(5, "x", cwd="/home/u", dirfd_path="/d") == "/d/x"
    assert resolve_at(5, "x", cwd="/home/u") is None
    assert resolve_at(5, "/abs", cwd=None) == "/abs"
    assert resolve_at(AT_FDCWD, "x", cwd=None) is None


def test_resolve_at_empty_path() -> None:
    assert resolve_at(5, "", cwd="/c", dirfd_path="/d/e/", empty_path=True) == "/d/e"
    assert resolve_at(AT_FDCWD, "", cwd="/c", empty_path=True) == "/c"
    assert resolve_at(5, "", cwd="/c", dirfd_path="/d") is None
    assert resolve_at(5, "", cwd="/c", empty_path=True) is None


def test_hostile_paths_do_not_escape_root_or_crash() -> None:
    deep = "../" * 10000 + "etc/shadow"
    assert resolve_path(deep, "/var/lib") == "/etc/shadow"
    assert resolve_path("a\x00b/../c", "/") == "/c"
    huge = "/".join(["x"] * 5000)
    assert resolve_path(huge, "/") == "/" + huge
