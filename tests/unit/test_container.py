"""Container ids from /proc/PID/cgroup lines: every layout of docs and Falco/Tetragon, plus the
near misses that must stay on the host."""

from __future__ import annotations

import pytest

from bpfopa.decode import container_from_cgroups, container_from_path

ID = "41e5c07cc3102bf8b2e2a0c3b5d0e8a4f1c6b2a9d8e7f6a5b4c3d2e1f0a9b8c7"
OTHER = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
POD = "podac04f3f2-1f2c-11e9-b015-1ebee232acfa"
POD_SYSTEMD = "kubepods-besteffort-podac04f3f2_1f2c_11e9_b015_1ebee232acfa"


@pytest.mark.parametrize(
    ("line", "runtime"),
    [
        # docker, cgroupfs driver (v1 and v2) and systemd driver
        (f"4:memory:/docker/{ID}", "docker"),
        (f"0::/docker/{ID}", "docker"),
        (f"0::/system.slice/docker-{ID}.scope", "docker"),
        (f"1:name=systemd:/system.slice/docker-{ID}.scope", "docker"),
        # a process in a sub-cgroup the container made (systemd inside a container)
        (f"0::/system.slice/docker-{ID}.scope/init.scope", "docker"),
        (f"0::/docker/{ID}/system.slice/cron.service", "docker"),
        # docker as the kubelet's runtime (cri-dockerd) with the systemd driver
        (
            f"0::/kubepods.slice/{POD_SYSTEMD.rsplit('-', 1)[0]}.slice/{POD_SYSTEMD}.slice/"
            f"docker-{ID}.scope",
            "docker",
        ),
        # old docker, cgroupfs driver, container cgroups at the hierarchy root
        (f"10:net_prio:/{ID}", "docker"),
        # containerd with the systemd driver, v2
        (
            f"0::/kubepods.slice/kubepods-besteffort.slice/{POD_SYSTEMD}.slice/"
            f"cri-containerd-{ID}.scope",
            "containerd",
        ),
        # containerd without SystemdCgroup=true under systemd
        (
            f"0::/system.slice/containerd.service/{POD_SYSTEMD}.slice:cri-containerd:{ID}",
            "containerd",
        ),
        # kubepods, cgroupfs driver: no runtime prefix
        (f"11:memory:/kubepods/besteffort/{POD}/{ID}", "containerd"),
        (f"0::/kubepods/burstable/{POD}/{ID}", "containerd"),
        (f"0::/kubepods/{POD}/{ID}", "containerd"),
        # cri-o
        (
            f"0::/kubepods.slice/kubepods-burstable.slice/{POD_SYSTEMD}.slice/crio-{ID}.scope",
            "cri-o",
        ),
        (f"5:cpu:/kubepods/besteffort/{POD}/crio-{ID}", "cri-o"),
        (f"0::/kubepods.slice/x.slice/crio-{ID}.scope/container", "cri-o"),
        # podman: root, rootless, and with the split `container` sub-cgroup
        (f"0::/machine.slice/libpod-{ID}.scope", "podman"),
        (f"0::/machine.slice/libpod-{ID}.scope/container", "podman"),
        (
            f"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope",
            "podman",
        ),
        (f"3:cpuset:/libpod_parent/libpod-{ID}", "podman"),
        (f"0::/libpod_parent/libpod-{ID}/ctr", "podman"),
    ],
)
def test_container_layouts(line: str, runtime: str) -> None:
    assert container_from_cgroups([line]) == {"id": ID[:12], "full_id": ID, "runtime": runtime}


@pytest.mark.parametrize(
    "line",
    [
        "0::/",
        "0::/init.scope",
        "0::/user.slice/user-0.slice/session-1.scope",
        "0::/system.slice/docker.service",
        "0::/system.slice/containerd.service",
        "0::/system.slice/crio.service",
        # the monitor processes run on the host
        f"0::/kubepods.slice/kubepods-besteffort.slice/{POD_SYSTEMD}.slice/crio-conmon-{ID}.scope",
        f"0::/machine.slice/libpod-conmon-{ID}.scope",
        f"0::/system.slice/libpod-conmon-{ID}.scope",
        # wrong lengths, case, or characters
        f"0::/docker/{ID[:-1]}",
        f"0::/docker/{ID}0",
        f"0::/docker/{ID.upper()}",
        f"0::/system.slice/docker-{ID[:-1]}g.scope",
        f"0::/system.slice/docker-{ID[:63]}.scope",
        # a container id that is not a whole cgroup component
        f"0::/system.slice/docker-{ID}.scope.bak",
        f"0::/system.slice/docker-{ID}.scopex/y",
        f"0::/system.slice/mydocker-{ID}.scope",
        f"0::/system.slice/docker-{ID}",
        f"0::/system.slice/cri-containerd-{ID}",
        f"0::/x/prefix{ID}",
        f"0::/x/{ID}suffix",
        f"0::/var-lib-docker-containers-{ID}-mounts-shm.mount",
        f"0::/system.slice/{ID}.service",
        # this sandbox's own layout: a 32-hex name
        "4:memory:/process_api/df3393569c4d01440c35ee1943542b62",
    ],
)
def test_near_misses_are_the_host(line: str) -> None:
    assert container_from_cgroups([line]) is None


def test_first_container_line_wins_and_host_lines_are_skipped() -> None:
    lines = [
        "12:pids:/",
        "11:cpuset:/",
        f"4:memory:/docker/{ID}",
        f"3:cpu:/docker/{OTHER}",
        "0::/",
    ]
    assert container_from_cgroups(lines) == {"id": ID[:12], "full_id": ID, "runtime": "docker"}


def test_nested_containers_report_the_innermost() -> None:
    path = f"/docker/{OTHER}/docker/{ID}"
    assert container_from_path(path) == {"id": ID[:12], "full_id": ID, "runtime": "docker"}
    path = f"/kubepods/besteffort/{POD}/{OTHER}/system.slice/docker-{ID}.scope"
    found = container_from_path(path)
    assert found is not None and found["full_id"] == ID and found["runtime"] == "docker"


def test_lines_with_whitespace_and_bare_paths() -> None:
    assert container_from_cgroups([f"0::/docker/{ID}\n"]) is not None
    assert container_from_cgroups([f"/docker/{ID}"]) is not None
    assert container_from_cgroups([]) is None
    assert container_from_cgroups(["", ":", "::", "garbage", "1:2:3:4"]) is None


def test_hostile_cgroup_lines_are_fast_and_safe() -> None:
    long_line = "0::" + "/docker-" * 20000 + "a" * 100000
    assert container_from_cgroups([long_line]) is None
    assert container_from_cgroups(["0::/" + "\x00\xff\u202e" * 1000]) is None
