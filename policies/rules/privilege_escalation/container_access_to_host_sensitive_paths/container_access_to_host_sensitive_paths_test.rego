package bpfopa.rules.container_access_to_host_sensitive_paths_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.container_access_to_host_sensitive_paths

_open(path, overrides) := testing.open(path, 0, object.union(testing.in_container, overrides))

test_alerts_host_shadow if {
	found := container_access_to_host_sensitive_paths.alerts with input as _open("/host/etc/shadow", {"process": {"name": "cat"}})
	count(found) == 1
	some alert in found
	alert.rule == "Container Access to Host Sensitive Paths"
	alert.id == "container_access_to_host_sensitive_paths"
	contains(alert.output, "file=/host/etc/shadow")
}

test_alerts_rootfs if {
	found := container_access_to_host_sensitive_paths.alerts with input as _open("/rootfs/root/.ssh/id_rsa", {})
	count(found) == 1
	some alert in found
	alert.rule == "Container Access to Host Sensitive Paths"
	alert.id == "container_access_to_host_sensitive_paths"
}

test_no_alert_runtime if {
	count(container_access_to_host_sensitive_paths.alerts) == 0 with input as _open("/host/run/containerd/x", {"process": {"name": "containerd"}})
}

test_no_alert_ordinary_path if {
	count(container_access_to_host_sensitive_paths.alerts) == 0 with input as _open("/srv/host/x", {})
}

test_no_alert_on_host if {
	count(container_access_to_host_sensitive_paths.alerts) == 0 with input as testing.open("/host/etc/shadow", 0, {})
}
