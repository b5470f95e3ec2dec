"""Container id and runtime from a process's cgroup paths (/proc/PID/cgroup, v1 or v2).

Container runtimes name the container's cgroup after its 64-hex id. The layouts recognised
(the ones Falco's libsinsp container engines and Tetragon's cgroup code match):

====================================================================  ============
cgroup path (any prefix before, sub-cgroups after are allowed)        runtime
====================================================================  ============
``/docker/<id>``                                                      docker
``/docker-<id>.scope`` (systemd driver; also cri-dockerd pods)        docker
``/cri-containerd-<id>.scope``                                        containerd
``…:cri-containerd:<id>`` (containerd without SystemdCgroup=true)     containerd
``/kubepods…/<id>`` (cgroupfs driver, no runtime prefix)              containerd
``/crio-<id>`` and ``/crio-<id>.scope``                               cri-o
``/libpod-<id>`` and ``/libpod-<id>.scope`` (also ``…/container``)    podman
``/<id>`` outside kubepods (old docker with the cgroupfs driver)      docker
====================================================================  ============

``crio-conmon-<id>`` and ``libpod-conmon-<id>`` are the runtimes' monitor processes, which run
on the host, and do not match. When containers nest (docker in docker), the innermost id wins,
as in Falco.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, Literal, TypedDict

__all__ = ["ContainerInfo", "Runtime", "container_from_cgroups", "container_from_path"]

Runtime = Literal["docker", "containerd", "cri-o", "podman"]


class ContainerInfo(TypedDict):
    """``process.container`` of the event document."""

    id: str  # first 12 hex digits, as `docker ps` shows
    full_id: str  # all 64
    runtime: Runtime


_HEX64: Final = r"[0-9a-f]{64}"
# Each alternative is anchored on a component start ("/" or, for containerd's cgroupfs-style
# systemd names, ":") and must end a component, so 63/65-digit ids and lookalike names such as
# `docker-<id>.scope.bak` or `crio-conmon-<id>` fail.
_LAYOUTS: Final = re.compile(
    rf"""
    (?:
        /docker/(?P<docker>{_HEX64})
      | /docker-(?P<docker_scope>{_HEX64})\.scope
      | /cri-containerd-(?P<containerd_scope>{_HEX64})\.scope
      | :cri-containerd:(?P<containerd_colon>{_HEX64})
      | /crio-(?P<crio>{_HEX64})(?:\.scope)?
      | /libpod-(?P<podman>{_HEX64})(?:\.scope)?
      | /(?P<bare>{_HEX64})
    )
    (?=/|$)
    """,
    re.VERBOSE,
)
_RUNTIME_BY_GROUP: Final[dict[str, Runtime]] = {
    "docker": "docker",
    "docker_scope": "docker",
    "containerd_scope": "containerd",
    "containerd_colon": "containerd",
    "crio": "cri-o",
    "podman": "podman",
}


def _cgroup_path(line: str) -> str:
    # "hierarchy-ID:controller-list:cgroup-path" (v1) or "0::path" (v2); the path itself may
    # contain ':' (containerd's "slice:cri-containerd:id"), so split at most twice.
    line = line.strip()
    if line.startswith("/"):
        return line
    parts = line.split(":", 2)
    return parts[2] if len(parts) == 3 else line


def container_from_path(path: str) -> ContainerInfo | None:
    """Container of one cgroup path, or ``None`` when it names no container."""
    last: re.Match[str] | None = None
    for match in _LAYOUTS.finditer(path):
        last = match  # the innermost (last) container in the path wins
    if last is None or last.lastgroup is None:
        return None
    group = last.lastgroup
    full_id = last.group(group)
    if group == "bare":
        runtime: Runtime = "containerd" if "/kubepods" in path[: last.start()] else "docker"
    else:
        runtime = _RUNTIME_BY_GROUP[group]
    return {"id": full_id[:12], "full_id": full_id, "runtime": runtime}


def container_from_cgroups(lines: Iterable[str]) -> ContainerInfo | None:
    """Container of a process from its /proc/PID/cgroup lines (``"0::/system.slice/…"`` or
    ``"4:memory:/docker/…"``; bare paths are accepted too). The first line naming a container
    wins; ``None`` means the process runs on the host (or in an unrecognised runtime)."""
    for line in lines:
        found = container_from_path(_cgroup_path(line))
        if found is not None:
            return found
    return None
