package bpfopa.rules.ptrace_attached_to_process_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.ptrace_attached_to_process

test_alerts_attach_by_name if {
	doc := testing.syscall("ptrace", {"process": {"name": "inject", "exe": "/usr/bin/inject", "args": [], "argv0": "inject", "cmdline": "inject"}, "event": {"params": {"request": 16, "request_name": "PTRACE_ATTACH", "pid": 1}}})
	found := ptrace_attached_to_process.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "PTRACE attached to process"
	alert.id == "ptrace_attached_to_process"
}

test_alerts_poketext_by_number if {
	doc := testing.syscall("ptrace", {"process": {"name": "inject", "exe": "/usr/bin/inject", "args": [], "argv0": "inject", "cmdline": "inject"}, "event": {"params": {"request": 4, "pid": 1}}})
	found := ptrace_attached_to_process.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "PTRACE attached to process"
	alert.id == "ptrace_attached_to_process"
}

test_no_alert_peekdata if {
	doc := testing.syscall("ptrace", {"process": {"name": "inject", "exe": "/usr/bin/inject", "args": [], "argv0": "inject", "cmdline": "inject"}, "event": {"params": {"request": 2, "request_name": "PTRACE_PEEKDATA", "pid": 1}}})
	count(ptrace_attached_to_process.alerts) == 0 with input as doc
}
