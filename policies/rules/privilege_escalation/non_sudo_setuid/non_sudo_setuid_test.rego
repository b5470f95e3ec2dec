package bpfopa.rules.non_sudo_setuid_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.non_sudo_setuid

test_alerts_setuid_root_attempt if {
	doc := testing.syscall("setuid", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"ret": -1, "error": "EPERM", "params": {"uid": 0}}})
	found := non_sudo_setuid.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Non sudo setuid"
	alert.id == "non_sudo_setuid"
}

test_no_alert_sudo if {
	doc := testing.syscall("setuid", {"process": {"name": "sudo", "exe": "/usr/bin/sudo", "args": [], "argv0": "sudo", "cmdline": "sudo"}, "event": {"params": {"uid": 0}}})
	count(non_sudo_setuid.alerts) == 0 with input as doc
}

test_no_alert_root_drops if {
	doc := testing.syscall("setuid", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3", "uid": 0, "user": "root"}, "event": {"params": {"uid": 33}}})
	count(non_sudo_setuid.alerts) == 0 with input as doc
}

test_no_alert_becoming_themselves if {
	doc := testing.syscall("setuid", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"params": {"uid": 1000}}})
	count(non_sudo_setuid.alerts) == 0 with input as doc
}

test_no_alert_unknown_container_user if {
	doc := testing.syscall("setuid", object.union(testing.in_container, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3", "user": null}, "event": {"params": {"uid": 0}}}))
	count(non_sudo_setuid.alerts) == 0 with input as doc
}

test_alerts_successful_switch_to_root if {
	# setuid(0) succeeded: the process is root now, but the caller was uid 1000.
	doc := testing.syscall("setuid", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3", "uid": 0, "user": "root"}, "event": {"ret": 0, "params": {"uid": 0}, "before": {"uid": 1000, "euid": 1000, "gid": 1000}}})
	count(non_sudo_setuid.alerts) == 1 with input as doc
}

test_no_alert_root_caller_drops_privileges if {
	doc := testing.syscall("setuid", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3", "uid": 33, "user": "www-data"}, "event": {"ret": 0, "params": {"uid": 33}, "before": {"uid": 0, "euid": 0, "gid": 0}}})
	count(non_sudo_setuid.alerts) == 0 with input as doc
}
