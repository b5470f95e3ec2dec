package bpfopa.rules.modify_container_entrypoint_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.modify_container_entrypoint

_write(path, overrides) := testing.open(path, 1, object.union(testing.in_container, overrides))

test_alerts_write_fd if {
	found := modify_container_entrypoint.alerts with input as _write("/proc/self/fd/1", {})
	count(found) == 1
	some alert in found
	alert.rule == "Modify Container Entrypoint"
	alert.id == "modify_container_entrypoint"
	contains(alert.output, "file=/proc/self/fd/1")
}

test_alerts_write_exe if {
	found := modify_container_entrypoint.alerts with input as _write("/proc/self/exe", {"process": {"name": "exploit"}})
	count(found) == 1
	some alert in found
	alert.rule == "Modify Container Entrypoint"
	alert.id == "modify_container_entrypoint"
}

test_no_alert_read if {
	count(modify_container_entrypoint.alerts) == 0 with input as testing.open("/proc/self/exe", 0, testing.in_container)
}

test_no_alert_on_host if {
	count(modify_container_entrypoint.alerts) == 0 with input as testing.open("/proc/self/fd/1", 1, {})
}

test_no_alert_runc if {
	count(modify_container_entrypoint.alerts) == 0 with input as _write("/proc/self/exe", {"process": {"name": "runc:[1:CHILD]", "cmdline": "runc:[1:CHILD] init"}})
}
