package bpfopa.rules.privileged_container_device_access_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.privileged_container_device_access

_open(path, flags, overrides) := testing.open(path, flags, object.union(testing.in_container, overrides))

test_alerts_read_disk if {
	found := privileged_container_device_access.alerts with input as _open("/dev/sda1", 0, {})
	count(found) == 1
	some alert in found
	alert.rule == "Privileged Container Device Access"
	alert.id == "privileged_container_device_access"
	contains(alert.output, "device=/dev/sda1")
}

test_alerts_write_mem if {
	found := privileged_container_device_access.alerts with input as _open("/dev/mem", 2, {})
	count(found) == 1
	some alert in found
	alert.rule == "Privileged Container Device Access"
	alert.id == "privileged_container_device_access"
}

test_no_alert_null_device if {
	count(privileged_container_device_access.alerts) == 0 with input as _open("/dev/null", 2, {})
}

test_no_alert_on_host if {
	count(privileged_container_device_access.alerts) == 0 with input as testing.open("/dev/sda", 0, {})
}

test_no_alert_failed if {
	count(privileged_container_device_access.alerts) == 0 with input as _open("/dev/nvme0n1", 0, {"event": {"ret": -13, "error": "EACCES"}})
}
