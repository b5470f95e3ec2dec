"""The test engine itself: an offline image runs, and its process lands in Docker's cgroup."""

from __future__ import annotations

from tests.docker_engine import DockerEngine


def test_offline_busybox_image_runs_in_a_docker_cgroup(
    docker_engine: DockerEngine, busybox_ref: str
) -> None:
    proc = docker_engine.docker(
        "run", "--rm", "--network", "none", busybox_ref, "cat", "/proc/self/cgroup"
    )
    cgroups = proc.stdout.splitlines()
    assert any("/docker/" in line for line in cgroups), cgroups
