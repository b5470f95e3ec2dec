package bpfopa.rules.change_thread_namespace_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.change_thread_namespace

test_alerts_unknown_parent if {
	doc := testing.syscall("setns", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3", "parent": null}})
	found := change_thread_namespace.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Change thread namespace"
	alert.id == "change_thread_namespace"
}

test_alerts_python_setns if {
	doc := testing.syscall("setns", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"params": {"fd": 3, "flags": 1073741824}}})
	found := change_thread_namespace.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Change thread namespace"
	alert.id == "change_thread_namespace"
}

test_no_alert_nsenter_on_host if {
	doc := testing.syscall("setns", {"process": {"name": "nsenter", "exe": "/usr/bin/nsenter", "args": [], "argv0": "nsenter", "cmdline": "nsenter"}})
	count(change_thread_namespace.alerts) == 0 with input as doc
}

test_no_alert_runc if {
	doc := testing.syscall("setns", {"process": {"name": "runc:[2:INIT]", "exe": "/usr/bin/runc:[2:INIT]", "args": [], "argv0": "runc:[2:INIT]", "cmdline": "runc:[2:INIT]"}})
	count(change_thread_namespace.alerts) == 0 with input as doc
}

test_no_alert_sdjagent if {
	doc := testing.syscall("setns", {"process": {"name": "java", "exe": "/usr/bin/java", "args": ["-jar", "sdjagent.jar"], "argv0": "java", "cmdline": "java -jar sdjagent.jar"}})
	count(change_thread_namespace.alerts) == 0 with input as doc
}
