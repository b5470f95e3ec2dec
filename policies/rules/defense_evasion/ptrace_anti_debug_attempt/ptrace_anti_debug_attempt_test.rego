package bpfopa.rules.ptrace_anti_debug_attempt_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.ptrace_anti_debug_attempt

test_alerts_traceme if {
	doc := testing.syscall("ptrace", {"process": {"name": "malware", "exe": "/usr/bin/malware", "args": [], "argv0": "malware", "cmdline": "malware"}, "event": {"params": {"request": 0}}})
	found := ptrace_anti_debug_attempt.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "PTRACE anti-debug attempt"
	alert.id == "ptrace_anti_debug_attempt"
}

test_no_alert_attach if {
	doc := testing.syscall("ptrace", {"process": {"name": "gdb", "exe": "/usr/bin/gdb", "args": [], "argv0": "gdb", "cmdline": "gdb"}, "event": {"params": {"request": 16}}})
	count(ptrace_anti_debug_attempt.alerts) == 0 with input as doc
}
