"""Pure decoding of syscall values into the event document's names and strings.

No I/O, no state: flag and constant names (Linux values, per architecture where they differ),
socket addresses, non-UTF-8 bytes, terminal escaping, lexical path resolution and container ids
from cgroup paths. Called per event, so everything is table lookups built at import.
"""

from bpfopa.decode._arch import DEFAULT_ARCH, Arch, normalize_arch
from bpfopa.decode._constants import (
    capability_name,
    capability_names,
    errno_name,
    ip_protocol_name,
    ptrace_request_name,
    signal_name,
    socket_domain_name,
    socket_protocol_name,
    socket_type_name,
)
from bpfopa.decode._container import (
    ContainerInfo,
    Runtime,
    container_from_cgroups,
    container_from_path,
)
from bpfopa.decode._flags import (
    at_flag_names,
    clone3_flag_names,
    clone_flag_names,
    dup3_flag_names,
    memfd_flag_names,
    mode_names,
    mount_flag_names,
    namespace_flag_names,
    open_flag_names,
    rename_flag_names,
    socket_type_flag_names,
    umount_flag_names,
)
from bpfopa.decode._paths import AT_FDCWD, resolve_at, resolve_path
from bpfopa.decode._sockaddr import Sockaddr, parse_sockaddr
from bpfopa.decode._text import (
    decode_field,
    decode_fields,
    decode_text,
    encode_raw,
    escape_for_terminal,
    raw_bytes,
)

__all__ = [
    "AT_FDCWD",
    "DEFAULT_ARCH",
    "Arch",
    "ContainerInfo",
    "Runtime",
    "Sockaddr",
    "at_flag_names",
    "capability_name",
    "capability_names",
    "clone3_flag_names",
    "clone_flag_names",
    "container_from_cgroups",
    "container_from_path",
    "decode_field",
    "decode_fields",
    "decode_text",
    "dup3_flag_names",
    "encode_raw",
    "errno_name",
    "escape_for_terminal",
    "ip_protocol_name",
    "memfd_flag_names",
    "mode_names",
    "mount_flag_names",
    "namespace_flag_names",
    "normalize_arch",
    "open_flag_names",
    "parse_sockaddr",
    "ptrace_request_name",
    "raw_bytes",
    "rename_flag_names",
    "resolve_at",
    "resolve_path",
    "signal_name",
    "socket_domain_name",
    "socket_protocol_name",
    "socket_type_flag_names",
    "socket_type_name",
    "umount_flag_names",
]
