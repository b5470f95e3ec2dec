package bpfopa.rules.container_drift_detected_chmod_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.container_drift_detected_chmod

_chmod(path, mode, overrides) := testing.syscall("fchmodat", object.union(
	{"event": {"path": path, "paths": {"filename": path}, "params": {"dfd": -100, "filename": path, "mode": mode}}},
	object.union(testing.in_container, overrides),
))

test_alerts_chmod_x if {
	found := container_drift_detected_chmod.alerts with input as _chmod("/tmp/implant", 493, {})
	count(found) == 1
	some alert in found
	alert.rule == "Container Drift Detected (chmod)"
	alert.id == "container_drift_detected_chmod"
	contains(alert.output, "filename=/tmp/implant mode=755")
}

test_alerts_other_x_only if {
	found := container_drift_detected_chmod.alerts with input as _chmod("/tmp/implant", 1, {})
	count(found) == 1
	some alert in found
	alert.rule == "Container Drift Detected (chmod)"
	alert.id == "container_drift_detected_chmod"
}

test_no_alert_no_x_bit if {
	count(container_drift_detected_chmod.alerts) == 0 with input as _chmod("/tmp/data", 420, {})
}

test_no_alert_on_host if {
	count(container_drift_detected_chmod.alerts) == 0 with input as object.union(_chmod("/tmp/implant", 493, {}), {"process": {"container": null}})
}

test_no_alert_failed if {
	count(container_drift_detected_chmod.alerts) == 0 with input as _chmod("/tmp/implant", 493, {"event": {"ret": -1, "error": "EPERM"}})
}

test_no_alert_runc_exec_fifo if {
	doc := _chmod("/exec.fifo", 493, {"process": {"name": "runc:[1:CHILD]", "cmdline": "runc:[1:CHILD] init"}})
	count(container_drift_detected_chmod.alerts) == 0 with input as doc
}

test_no_alert_runc_below_var_lib_docker if {
	doc := _chmod("/var/lib/docker/x/y", 493, {"process": {"name": "runc:[1:CHILD]", "cmdline": "runc:[1:CHILD] init"}})
	count(container_drift_detected_chmod.alerts) == 0 with input as doc
}
