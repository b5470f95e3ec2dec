#!/usr/bin/python3
"""runc, with the container's capabilities cut to this host's bounding set.

`docker run --privileged` asks runc for every capability the kernel knows; where the engine
itself runs with a smaller bounding set (a sandboxed CI host lacking CAP_SYS_RESOURCE), runc
then fails with "unable to apply caps: operation not permitted". The test session registers
this script as the runtime of a second engine it starts only on such hosts: the container is
still privileged in every other respect (all devices, no seccomp, writable /sys), and the
engine still reports it as privileged, which is what bpfopa reads.
"""

from __future__ import annotations

import json
import os
import sys

RUNC = "/usr/sbin/runc"
# Linux capability numbers 0..40, in order (include/uapi/linux/capability.h).
CAPS = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
)


def bounding_set() -> set[str]:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapBnd:"):
                mask = int(line.split()[1], 16)
                return {f"CAP_{name}" for bit, name in enumerate(CAPS) if mask >> bit & 1}
    return {f"CAP_{name}" for name in CAPS}


def bundle_of(args: list[str]) -> str | None:
    for index, arg in enumerate(args):
        if arg in ("--bundle", "-b") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--bundle="):
            return arg.split("=", 1)[1]
    return None


def main() -> None:
    args = sys.argv[1:]
    bundle = bundle_of(args)
    if bundle is not None:
        path = os.path.join(bundle, "config.json")
        with open(path) as f:
            spec = json.load(f)
        allowed = bounding_set()
        caps = spec.get("process", {}).get("capabilities") or {}
        for kind, names in caps.items():
            caps[kind] = [name for name in names if name in allowed]
        with open(path, "w") as f:
            json.dump(spec, f)
    os.execv(RUNC, [RUNC, *args])


if __name__ == "__main__":
    main()
