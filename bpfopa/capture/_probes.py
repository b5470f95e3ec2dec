"""Compiling the probes with BCC, configuring their maps and attaching them."""

from __future__ import annotations

import ctypes
import logging
import os
import platform
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from bpfopa._paths import PROBES_DIR
from bpfopa.capture._btf import KernelBtf, TaskOffsets
from bpfopa.capture._kfilter import PREFIX_LIMIT, SCAN_LIMIT, CompiledFilter
from bpfopa.capture._memory import release_compiler_memory
from bpfopa.capture._tracefs import TRACEFS, layout_cflags
from bpfopa.capture._transport import PerfBufferReader, RingBufferReader, Transport
from bpfopa.errors import AttachError, CaptureError, ProbeCompileError
from bpfopa.schema import BY_NAME, ArgKind, Syscall
from bpfopa.wire import SYSCALL_SPEC

log = logging.getLogger(__name__)

AttachMode = Literal["tracepoint", "raw"]
# How a syscall's arguments reach its exit: read back from the saved registers (one program
# per syscall, kernel >= 5.15), or parked per thread by an entry program.
Pairing = Literal["registers", "map"]
TransportName = Literal["ringbuf", "perf"]

# Order matters: one translation unit, headers first.
PROBE_FILES = (
    "bpfopa.h",
    "maps.h",
    "common.h",
    "filter.bpf.c",
    "syscalls.bpf.c",
    "process.bpf.c",
    "cgroup.bpf.c",
)
# Syscalls whose tracepoint is named after the kernel function, not the syscall.
_TRACEPOINT_NAMES = {"umount2": "umount"}


def machine_arch() -> str:
    arch = platform.machine()
    return "aarch64" if arch in ("aarch64", "arm64") else arch


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    syscalls: frozenset[str]
    attach: AttachMode = "tracepoint"
    transport: TransportName = "ringbuf"
    # 16 MiB: ~80k typical records, 200 ms of an openat loop flat out, so a reader held up by
    # a GIL switch or a busy CPU does not make the kernel drop.
    ringbuf_pages: int = 4096
    # The lifecycle lane's own ring (fork, exec, exit): 8 MiB, see probes/process.bpf.c.
    lifecycle_pages: int = 2048
    perf_pages: int = 256  # per CPU
    perf_wakeup_events: int = 32
    target_pid: int | None = None
    exclude_pids: frozenset[int] = frozenset()
    pairing: Pairing = "registers"


@dataclass
class Probes:
    """Loaded and attached probes; :meth:`close` detaches them (slow: seconds)."""

    bpf: Any
    transport: Transport
    #: Fork, exec and exit records: a lane of their own, never crowded out by syscalls.
    lifecycle: Transport
    arch: str
    attach_mode: AttachMode = "tracepoint"
    pairing: Pairing = "registers"
    attached_syscalls: set[str] = field(default_factory=set)
    missing_tracepoints: list[str] = field(default_factory=list)
    _nr_by_name: dict[str, int] = field(default_factory=dict)

    def exclude_pid(self, pid: int) -> None:
        try:
            self.bpf[b"excluded_tgids"][ctypes.c_uint32(pid)] = ctypes.c_uint8(1)
        except Exception as exc:  # map full: BCC raises a bare Exception
            raise CaptureError(f"cannot exclude pid {pid}: {exc}") from exc

    def include_pid(self, pid: int) -> None:
        table = self.bpf[b"excluded_tgids"]
        key = ctypes.c_uint32(pid)
        if key in table:
            del table[key]

    def enable(self, names: Collection[str]) -> None:
        """Capture exactly ``names`` among the attached syscalls (in-kernel selection)."""
        specs = self.bpf[b"syscall_specs"]
        wanted = set(names)
        for name, nr in self._nr_by_name.items():
            spec = _spec_bytes(BY_NAME[name], enabled=name in wanted)
            specs[ctypes.c_int(nr)] = specs.Leaf.from_buffer_copy(spec)

    def set_kernel_filter(self, compiled: CompiledFilter | None) -> None:
        """Load the kernel filter's tables (None: filter nothing). The specs go first off and
        last on, so that no record is judged by a half-loaded table."""
        specs = self.bpf[b"path_filter_specs"]
        for nr in self._nr_by_name.values():
            specs[ctypes.c_int(nr)] = specs.Leaf()
        if compiled is None:
            return
        trie = self.bpf[b"path_prefixes"]
        trie.clear()
        for prefix, intent in compiled.prefixes.items():
            key = trie.Key()
            key.prefixlen = len(prefix) * 8
            ctypes.memmove(key.data, prefix, len(prefix))
            trie[key] = ctypes.c_uint8(intent)
        grams = self.bpf[b"path_gram_tables"]
        tables = grams.Leaf()
        ctypes.memmove(tables.two, bytes(compiled.two), len(compiled.two))
        ctypes.memmove(tables.four, bytes(compiled.four), len(compiled.four))
        grams[ctypes.c_int(0)] = tables
        for name, spec in compiled.specs.items():
            number = self._nr_by_name.get(name)
            if number is None:
                continue
            leaf = specs.Leaf()
            leaf.enabled = 1
            leaf.path_arg = spec.path_arg
            leaf.flags_arg = spec.flags_arg
            leaf.flags_in_how = int(spec.flags_in_how)
            leaf.write_modes = sum(1 << mode for mode in spec.write_modes)
            leaf.pass_flags = compiled.pass_flags
            specs[ctypes.c_int(number)] = leaf

    def filtered_by_syscall(self) -> dict[str, int]:
        """Records the kernel filter skipped since load, by syscall name (summed over CPUs)."""
        table = self.bpf[b"filtered_events"]
        out: dict[str, int] = {}
        for name, nr in self._nr_by_name.items():
            count = sum(table[ctypes.c_int(nr)])
            if count:
                out[name] = count
        return out

    def attach_syscalls(self, names: Collection[str]) -> None:
        """Attach the tracepoints of ``names`` not attached yet (milliseconds each; detaching
        is what is slow, so nothing is ever detached before :meth:`close`)."""
        missing: list[str] = []
        for name in sorted(set(names) - self.attached_syscalls):
            nr = BY_NAME[name].nr(self.arch)
            if nr is None:
                missing.append(f"{name} (not on {self.arch})")
                continue
            tp_name = _TRACEPOINT_NAMES.get(name, name)
            if self.attach_mode == "tracepoint":
                if not tracepoint_exists("syscalls", f"sys_enter_{tp_name}"):
                    missing.append(name)
                    continue
                try:
                    if self.pairing == "map":
                        self.bpf.attach_tracepoint(
                            tp=f"syscalls:sys_enter_{tp_name}".encode(),
                            fn_name=f"trace_syscalls_sys_enter_{len(BY_NAME[name].params)}".encode(),
                        )
                    exit_fn = "trace_syscalls_sys_exit" + (
                        "_regs" if self.pairing == "registers" else ""
                    )
                    self.bpf.attach_tracepoint(
                        tp=f"syscalls:sys_exit_{tp_name}".encode(), fn_name=exit_fn.encode()
                    )
                except Exception as exc:
                    raise AttachError(f"cannot attach syscalls:sys_*_{tp_name}: {exc}") from exc
            self.attached_syscalls.add(name)
            self._nr_by_name[name] = nr
        new_missing = [m for m in missing if m not in self.missing_tracepoints]
        if new_missing:
            self.missing_tracepoints.extend(new_missing)
            log.warning("not capturing (no tracepoint in this kernel): %s", ", ".join(new_missing))

    def close(self) -> None:
        self.transport.close()
        self.lifecycle.close()
        self.bpf.cleanup()


def _spec_bytes(syscall: Syscall, enabled: bool) -> bytes:
    kinds = [int(p.kind) for p in syscall.params] + [0] * (6 - len(syscall.params))
    names = [p.name for p in syscall.params]
    length_arg = 0
    for p in syscall.params:
        if p.kind in (ArgKind.SOCKADDR, ArgKind.SOCKADDR_OUT) and p.length_of:
            length_arg = names.index(p.length_of)
    return SYSCALL_SPEC.pack(int(enabled), *kinds, length_arg)


def tracepoint_exists(category: str, name: str) -> bool:
    return (TRACEFS / "events" / category / name).is_dir()


def load_probes(config: ProbeConfig) -> Probes:
    """Compile, load and attach. Raises :class:`CaptureError` subclasses with the cause."""
    from bcc import BPF  # Debian's python3-bpfcc; imported late so pure modules work without it

    arch = machine_arch()
    unknown = sorted(set(config.syscalls) - BY_NAME.keys())
    if unknown:
        raise CaptureError(f"unknown syscalls: {', '.join(unknown)}")
    offsets = TaskOffsets.from_btf(KernelBtf.from_file())
    execve_nr = BY_NAME["execve"].nr(arch) or 0xFFFF
    execveat_nr = BY_NAME["execveat"].nr(arch) or 0xFFFF
    cflags = [
        *offsets.cflags(),
        f"-DEXECVE_NR={execve_nr}",
        f"-DEXECVEAT_NR={execveat_nr}",
        f"-DRECVMSG_NR={BY_NAME['recvmsg'].nr(arch) or 0xFFFF}",
        f"-DRINGBUF_PAGES={config.ringbuf_pages}",
        f"-DPREFIX_LIMIT={PREFIX_LIMIT}",
        f"-DSCAN_LIMIT={SCAN_LIMIT}",
        f"-DLIFECYCLE_PAGES={config.lifecycle_pages}",
        *layout_cflags(),
    ]
    if config.transport == "ringbuf":
        cflags.append("-DTRANSPORT_RINGBUF")
    if config.target_pid is not None:
        cflags.append(f"-DTARGET_TGID={config.target_pid}")
    source = "\n".join((PROBES_DIR / name).read_text() for name in PROBE_FILES)
    try:
        bpf = BPF(text=source.encode(), cflags=cflags)
    except Exception as exc:  # BCC raises bare Exception on compile/load failures
        raise ProbeCompileError(
            f"BCC could not compile the probes ({exc}); are kernel headers installed at "
            f"/lib/modules/{os.uname().release}/build? run scripts/setup.sh"
        ) from exc

    transport, lifecycle = _transports(bpf, config)
    probes = Probes(
        bpf=bpf,
        transport=transport,
        lifecycle=lifecycle,
        arch=arch,
        attach_mode=config.attach,
        pairing=_usable_pairing(bpf, config.pairing),
    )
    try:
        for pid in config.exclude_pids:
            probes.exclude_pid(pid)
        _attach(bpf, probes, config)
        probes.enable(probes.attached_syscalls)
    except BaseException:
        probes.close()
        raise
    released = release_compiler_memory()
    log.debug("compiler memory released: %s", released)
    return probes


def _transports(bpf: Any, config: ProbeConfig) -> tuple[Transport, Transport]:
    """Readers of the syscall lane and of the lifecycle lane."""
    if config.transport == "ringbuf":
        return (
            RingBufferReader(
                bpf[b"events"].map_fd, config.ringbuf_pages * 4096, bpf[b"lost_events"]
            ),
            RingBufferReader(
                bpf[b"lifecycle"].map_fd, config.lifecycle_pages * 4096, bpf[b"lifecycle_lost"]
            ),
        )
    return (
        PerfBufferReader(
            bpf, "events", bpf[b"lost_events"], config.perf_pages, config.perf_wakeup_events
        ),
        # Wakeups per record: lifecycle records are few and the table wants them early.
        PerfBufferReader(bpf, "lifecycle", bpf[b"lifecycle_lost"], config.perf_pages, 1),
    )


def _attach(bpf: Any, probes: Probes, config: ProbeConfig) -> None:
    from bcc import BPF

    try:
        bpf.attach_raw_tracepoint(tp=b"sched_process_fork", fn_name=b"trace_sched_process_fork")
        bpf.attach_tracepoint(tp=b"sched:sched_process_exec", fn_name=b"trace_sched_process_exec")
        bpf.attach_tracepoint(tp=b"sched:sched_process_exit", fn_name=b"trace_sched_process_exit")
    except Exception as exc:
        raise AttachError(f"cannot attach the process lifecycle tracepoints: {exc}") from exc
    probes.attach_syscalls(config.syscalls)
    if config.attach == "raw":
        if probes.pairing == "map":
            bpf.load_func(b"trace_raw_sys_enter", BPF.RAW_TRACEPOINT)
            bpf.attach_raw_tracepoint(tp=b"sys_enter", fn_name=b"trace_raw_sys_enter")
            bpf.attach_raw_tracepoint(tp=b"sys_exit", fn_name=b"trace_raw_sys_exit")
        else:
            bpf.attach_raw_tracepoint(tp=b"sys_exit", fn_name=b"trace_raw_sys_exit_regs")


def _usable_pairing(bpf: Any, wanted: Pairing) -> Pairing:
    """``registers`` needs bpf_task_pt_regs (kernel 5.15): fall back to ``map`` without it."""
    from bcc import BPF

    if wanted == "registers":
        try:
            bpf.load_func(b"trace_syscalls_sys_exit_regs", BPF.TRACEPOINT)
        except Exception as exc:  # the verifier refuses the helper on older kernels
            log.warning(
                "reading syscall arguments at exit is not supported here (%s): "
                "pairing entry and exit through a map instead",
                exc,
            )
            return "map"
    return wanted
