"""`bpfopa doctor`'s runtime line against a real engine, a dead socket and no socket (the CRI
runtime's line: test_cri_metadata.py)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

from bpfopa.doctor import check_runtime
from tests.docker_engine import DockerEngine


def test_engine_that_answers_passes_and_is_named(docker_engine: DockerEngine) -> None:
    result = check_runtime([docker_engine.socket])
    assert result.ok, result
    assert f"at {docker_engine.socket}" in result.detail
    assert result.detail.startswith("container metadata from Docker ")


def test_no_socket_passes_and_says_ids_only(tmp_path: Path) -> None:
    result = check_runtime([tmp_path / "docker.sock", tmp_path / "podman.sock"])
    assert result.ok
    assert "cgroup-derived ids only" in result.detail
    assert str(tmp_path / "podman.sock") in result.detail


def test_socket_nobody_listens_on_fails_with_fix() -> None:
    # Short path: a sockaddr_un holds 108 bytes.
    with tempfile.TemporaryDirectory(prefix="bpfopa-") as workdir:
        path = Path(workdir) / "dead.sock"
        bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bound.bind(str(path))  # bound, never listening: connect() is refused
        try:
            result = check_runtime([path])
        finally:
            bound.close()
    assert not result.ok
    assert str(path) in result.detail
    assert "--runtime-socket" in result.fix


def test_a_dead_socket_beside_an_engine_that_answers_is_named_not_failed(
    docker_engine: DockerEngine,
) -> None:
    """As on Docker hosts, whose containerd socket serves no CRI: the run goes on without it."""
    with tempfile.TemporaryDirectory(prefix="bpfopa-") as workdir:
        path = Path(workdir) / "dead.sock"
        bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bound.bind(str(path))
        try:
            result = check_runtime([docker_engine.socket, path])
        finally:
            bound.close()
    assert result.ok, result
    assert result.detail.startswith("container metadata from Docker ")
    assert f"(not asked: {path}" in result.detail
