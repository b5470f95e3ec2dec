"""Process state: the process table fed by lifecycle records, seeded and backed by /proc."""

from bpfopa.state._cgroups import CgroupResolver, cgroup2_mount
from bpfopa.state._process import Clock, ExecId, FdInfo, Process
from bpfopa.state._table import ExecInfo, ProcessTable, TableStats

__all__ = [
    "CgroupResolver",
    "Clock",
    "ExecId",
    "ExecInfo",
    "FdInfo",
    "Process",
    "ProcessTable",
    "TableStats",
    "cgroup2_mount",
]
