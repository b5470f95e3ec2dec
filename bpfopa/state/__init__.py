"""Process state: the process table fed by lifecycle records, seeded and backed by /proc."""

from bpfopa.state._cgroups import CgroupResolver, cgroup2_mount
from bpfopa.state._table import Clock, FdInfo, Process, ProcessTable, TableStats

__all__ = [
    "CgroupResolver",
    "Clock",
    "FdInfo",
    "Process",
    "ProcessTable",
    "TableStats",
    "cgroup2_mount",
]
