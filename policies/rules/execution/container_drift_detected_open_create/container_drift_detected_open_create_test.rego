package bpfopa.rules.container_drift_detected_open_create_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.container_drift_detected_open_create

_open(path, flags, mode) := testing.open(path, flags, object.union(testing.in_container, {"event": {"params": {"mode": mode}}}))

test_alerts_create_executable if {
	found := container_drift_detected_open_create.alerts with input as _open("/tmp/implant", 577, 493)
	count(found) == 1
	some alert in found
	alert.rule == "Container Drift Detected (open+create)"
	alert.id == "container_drift_detected_open_create"
	contains(alert.output, "filename=/tmp/implant mode=755")
}

test_alerts_creat if {
	found := container_drift_detected_open_create.alerts with input as testing.syscall("creat", object.union(testing.in_container, {"event": {"ret": 3, "path": "/tmp/x", "params": {"pathname": "/tmp/x", "mode": 448}}}))
	count(found) == 1
	some alert in found
	alert.rule == "Container Drift Detected (open+create)"
	alert.id == "container_drift_detected_open_create"
}

test_alerts_openat2 if {
	found := container_drift_detected_open_create.alerts with input as testing.syscall("openat2", object.union(testing.in_container, {"event": {"ret": 3, "path": "/tmp/x", "params": {"how": {"flags": 65, "mode": 493}}}}))
	count(found) == 1
	some alert in found
	alert.rule == "Container Drift Detected (open+create)"
	alert.id == "container_drift_detected_open_create"
}

test_no_alert_not_executable if {
	count(container_drift_detected_open_create.alerts) == 0 with input as _open("/tmp/data", 577, 420)
}

test_no_alert_no_create if {
	count(container_drift_detected_open_create.alerts) == 0 with input as _open("/tmp/data", 1, 493)
}

test_no_alert_on_host if {
	count(container_drift_detected_open_create.alerts) == 0 with input as testing.open("/tmp/implant", 577, {"event": {"params": {"mode": 493}}})
}
