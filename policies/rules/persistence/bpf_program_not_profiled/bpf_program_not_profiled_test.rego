package bpfopa.rules.bpf_program_not_profiled_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.bpf_program_not_profiled

_bpf(cmd, name) := testing.syscall("bpf", {"event": {"ret": 7, "params": {"cmd": cmd, "cmd_name": name, "uattr": 140737488350000, "size": 128}}, "process": {"name": "loader"}})

test_alerts_prog_load if {
	found := bpf_program_not_profiled.alerts with input as _bpf(5, "BPF_PROG_LOAD")
	count(found) == 1
	some alert in found
	alert.rule == "BPF Program Not Profiled"
	alert.id == "bpf_program_not_profiled"
	contains(alert.output, "bpf_cmd=5")
}

test_no_alert_map_create if {
	count(bpf_program_not_profiled.alerts) == 0 with input as _bpf(0, "BPF_MAP_CREATE")
}

test_no_alert_bpftool if {
	count(bpf_program_not_profiled.alerts) == 0 with input as object.union(_bpf(5, "BPF_PROG_LOAD"), {"process": {"name": "bpftool"}})
}
