"""Struct member offsets from the running kernel's BTF (/sys/kernel/btf/vmlinux).

The probes are compiled against whatever kernel headers the host has, which may belong to
another kernel (Debian's 6.1 headers on a 6.18 kernel put task_struct.real_parent at 2432, the
kernel at 1280). So the probes never dereference kernel structs through header types: every
offset they use is read here at start-up and passed in as a -D constant.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from bpfopa.errors import BtfError

VMLINUX_BTF = Path("/sys/kernel/btf/vmlinux")

_MAGIC = 0xEB9F
_HEADER = struct.Struct("<HBBIIIII")
_TYPE = struct.Struct("<III")

# BTF kinds (include/uapi/linux/btf.h)
_INT, _PTR, _ARRAY, _STRUCT, _UNION, _ENUM, _FWD, _TYPEDEF, _VOLATILE, _CONST, _RESTRICT = range(
    1, 12
)
_FUNC, _FUNC_PROTO, _VAR, _DATASEC, _FLOAT, _DECL_TAG, _TYPE_TAG, _ENUM64 = range(12, 20)
_MODIFIERS = {_TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _TYPE_TAG}

# Bytes that follow struct btf_type, per kind: fixed, and per vlen entry.
_EXTRA_FIXED = {_INT: 4, _ARRAY: 12, _VAR: 4, _DECL_TAG: 4}
_EXTRA_PER_MEMBER = {_STRUCT: 12, _UNION: 12, _ENUM: 8, _FUNC_PROTO: 8, _DATASEC: 12, _ENUM64: 12}


@dataclass(frozen=True, slots=True)
class _Type:
    kind: int
    name: str
    size_or_type: int
    members: tuple[tuple[str, int, int], ...]  # (name, type id, bit offset) for struct/union


class KernelBtf:
    """The struct layouts of one BTF file, indexed lazily by name."""

    def __init__(self, data: bytes) -> None:
        if len(data) < _HEADER.size:
            raise BtfError("BTF blob too short")
        magic, _version, _flags, hdr_len, type_off, type_len, str_off, str_len = (
            _HEADER.unpack_from(data)
        )
        if magic != _MAGIC:
            raise BtfError(f"bad BTF magic {magic:#x}")
        self._data = data
        self._types_start = hdr_len + type_off
        self._types_end = self._types_start + type_len
        self._strings = data[hdr_len + str_off : hdr_len + str_off + str_len]
        self._offsets: list[int] = [0]  # type id -> byte offset of its btf_type (id 0 is void)
        self._structs: dict[str, int] = {}
        self._enumerators: dict[str, int] = {}
        self._index()

    @classmethod
    def from_file(cls, path: Path = VMLINUX_BTF) -> KernelBtf:
        try:
            return cls(path.read_bytes())
        except OSError as exc:
            raise BtfError(f"cannot read {path}: {exc.strerror}") from exc

    def _name(self, off: int) -> str:
        end = self._strings.find(b"\0", off)
        return self._strings[off:end].decode("ascii", "replace")

    def _index(self) -> None:
        data = self._data
        pos = self._types_start
        unpack = _TYPE.unpack_from
        while pos < self._types_end:
            name_off, info, _ = unpack(data, pos)
            kind = (info >> 24) & 0x1F
            vlen = info & 0xFFFF
            self._offsets.append(pos)
            if kind in (_STRUCT, _UNION) and name_off:
                self._structs.setdefault(self._name(name_off), len(self._offsets) - 1)
            elif kind == _ENUM:
                for i in range(vlen):
                    e_name, e_val = struct.unpack_from("<Ii", data, pos + 12 + 8 * i)
                    self._enumerators[self._name(e_name)] = e_val
            pos += 12 + _EXTRA_FIXED.get(kind, 0) + vlen * _EXTRA_PER_MEMBER.get(kind, 0)

    def _type(self, type_id: int) -> _Type:
        pos = self._offsets[type_id]
        name_off, info, size_or_type = _TYPE.unpack_from(self._data, pos)
        kind = (info >> 24) & 0x1F
        members: list[tuple[str, int, int]] = []
        if kind in (_STRUCT, _UNION):
            bitfields = bool(info >> 31)
            for i in range(info & 0xFFFF):
                m_name, m_type, m_off = struct.unpack_from("<III", self._data, pos + 12 + 12 * i)
                bit_offset = m_off & 0xFFFFFF if bitfields else m_off
                members.append((self._name(m_name), m_type, bit_offset))
        return _Type(kind, self._name(name_off), size_or_type, tuple(members))

    def _resolve(self, type_id: int) -> int:
        """Skip typedefs and qualifiers."""
        while True:
            t = self._type(type_id)
            if t.kind not in _MODIFIERS:
                return type_id
            type_id = t.size_or_type

    def _find_member(self, type_id: int, name: str) -> tuple[int, int] | None:
        """(byte offset, member type id) of ``name``, looking inside anonymous structs/unions."""
        for m_name, m_type, bit_offset in self._type(self._resolve(type_id)).members:
            if m_name == name:
                return bit_offset // 8, m_type
            if not m_name:
                inner = self._resolve(m_type)
                if self._type(inner).kind in (_STRUCT, _UNION):
                    found = self._find_member(inner, name)
                    if found is not None:
                        return bit_offset // 8 + found[0], found[1]
        return None

    def offset(self, struct_name: str, *candidates: str) -> int:
        """Byte offset of the first member of ``struct_name`` that exists among ``candidates``.

        Several candidates absorb renames across kernel versions. A dotted candidate walks
        into embedded structs (``"loginuid.val"``).
        """
        type_id = self._structs.get(struct_name)
        if type_id is None:
            raise BtfError(f"struct {struct_name} not in kernel BTF")
        for candidate in candidates:
            current, total = type_id, 0
            for part in candidate.split("."):
                found = self._find_member(current, part)
                if found is None:
                    break
                total += found[0]
                current = found[1]
            else:
                return total
        raise BtfError(f"struct {struct_name} has none of {', '.join(candidates)}")

    def size(self, struct_name: str) -> int:
        type_id = self._structs.get(struct_name)
        if type_id is None:
            raise BtfError(f"struct {struct_name} not in kernel BTF")
        return self._type(type_id).size_or_type

    def enum_value(self, name: str) -> int:
        try:
            return self._enumerators[name]
        except KeyError:
            raise BtfError(f"enumerator {name} not in kernel BTF") from None


@dataclass(frozen=True, slots=True)
class TaskOffsets:
    """Every kernel struct offset the probes use, as -D compiler flags."""

    task_pid: int
    task_tgid: int
    task_real_parent: int
    task_cred: int
    task_loginuid: int
    task_mm: int
    task_signal: int
    task_comm: int
    task_start_boottime: int
    cred_uid: int
    cred_gid: int
    cred_euid: int
    cred_cap_effective: int
    mm_arg_start: int
    mm_arg_end: int
    mm_env_start: int
    mm_env_end: int
    mm_exe_file: int
    file_dentry: int
    file_mnt: int
    file_inode: int
    inode_sb: int
    super_block_magic: int
    #: -1 when the kernel's BTF has no struct ovl_inode (overlayfs absent or a module): the
    #: probes then cannot tell an executable's overlayfs layer.
    ovl_inode_vfs_inode: int
    ovl_inode_upperdentry: int
    dentry_name: int
    dentry_parent: int
    vfsmount_mnt_root: int
    mount_mnt: int
    mount_mnt_parent: int
    mount_mnt_mountpoint: int
    signal_tty: int
    signal_live: int
    tty_index: int
    tty_driver: int
    tty_driver_major: int
    tty_driver_minor_start: int
    regs_arg0: int
    regs_arg1: int
    regs_arg2: int
    regs_arg3: int
    regs_arg4: int
    regs_arg5: int
    regs_nr: int

    @classmethod
    def from_btf(cls, btf: KernelBtf) -> TaskOffsets:
        return cls(
            task_pid=btf.offset("task_struct", "pid"),
            task_tgid=btf.offset("task_struct", "tgid"),
            task_real_parent=btf.offset("task_struct", "real_parent"),
            task_cred=btf.offset("task_struct", "cred"),
            task_loginuid=btf.offset("task_struct", "loginuid.val", "loginuid"),
            task_mm=btf.offset("task_struct", "mm"),
            task_signal=btf.offset("task_struct", "signal"),
            task_comm=btf.offset("task_struct", "comm"),
            # Renamed in 5.5; /proc/PID/stat's starttime is this value in clock ticks.
            task_start_boottime=btf.offset("task_struct", "start_boottime", "real_start_time"),
            cred_uid=btf.offset("cred", "uid.val", "uid"),
            cred_gid=btf.offset("cred", "gid.val", "gid"),
            cred_euid=btf.offset("cred", "euid.val", "euid"),
            cred_cap_effective=btf.offset("cred", "cap_effective"),
            mm_arg_start=btf.offset("mm_struct", "arg_start"),
            mm_arg_end=btf.offset("mm_struct", "arg_end"),
            mm_env_start=btf.offset("mm_struct", "env_start"),
            mm_env_end=btf.offset("mm_struct", "env_end"),
            mm_exe_file=btf.offset("mm_struct", "exe_file"),
            file_dentry=btf.offset("file", "f_path.dentry"),
            file_mnt=btf.offset("file", "f_path.mnt"),
            file_inode=btf.offset("file", "f_inode"),
            inode_sb=btf.offset("inode", "i_sb"),
            super_block_magic=btf.offset("super_block", "s_magic"),
            **_overlay_offsets(btf),
            dentry_name=btf.offset("dentry", "d_name.name"),
            # The exec probe walks the executable's path up to its namespace's root.
            dentry_parent=btf.offset("dentry", "d_parent"),
            vfsmount_mnt_root=btf.offset("vfsmount", "mnt_root"),
            mount_mnt=btf.offset("mount", "mnt"),
            mount_mnt_parent=btf.offset("mount", "mnt_parent"),
            mount_mnt_mountpoint=btf.offset("mount", "mnt_mountpoint"),
            signal_tty=btf.offset("signal_struct", "tty"),
            # Threads still running in the group: 0 in the exit tracepoint of the last one.
            signal_live=btf.offset("signal_struct", "live.counter", "live"),
            tty_index=btf.offset("tty_struct", "index"),
            tty_driver=btf.offset("tty_struct", "driver"),
            tty_driver_major=btf.offset("tty_driver", "major"),
            tty_driver_minor_start=btf.offset("tty_driver", "minor_start"),
            # Syscall arguments in struct pt_regs, for the raw sys_enter mode (x86_64 ABI:
            # di, si, dx, r10, r8, r9; arm64: regs[0..5]).
            **_syscall_arg_offsets(btf),
        )

    def cflags(self) -> list[str]:
        return [f"-DOFF_{name.upper()}={value}" for name, value in self._items()]

    def _items(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in self.__slots__]


def _overlay_offsets(btf: KernelBtf) -> dict[str, int]:
    try:
        return {
            "ovl_inode_vfs_inode": btf.offset("ovl_inode", "vfs_inode"),
            "ovl_inode_upperdentry": btf.offset("ovl_inode", "__upperdentry"),
        }
    except BtfError:
        return {"ovl_inode_vfs_inode": -1, "ovl_inode_upperdentry": -1}


def _syscall_arg_offsets(btf: KernelBtf) -> dict[str, int]:
    """Where struct pt_regs keeps the syscall number and arguments. They are read at exit too,
    so the first argument on arm64 comes from orig_x0: x0 by then holds the return value."""
    try:
        names = ("di", "si", "dx", "r10", "r8", "r9")
        offsets = {f"regs_arg{i}": btf.offset("pt_regs", name) for i, name in enumerate(names)}
        offsets["regs_nr"] = btf.offset("pt_regs", "orig_ax")
        return offsets
    except BtfError:
        base = btf.offset("pt_regs", "regs", "user_regs.regs")
        offsets = {f"regs_arg{i}": base + 8 * i for i in range(6)}
        offsets["regs_arg0"] = btf.offset("pt_regs", "orig_x0")
        offsets["regs_nr"] = btf.offset("pt_regs", "syscallno")
        return offsets
