package bpfopa.rules.exfiltrating_artifacts_via_kubernetes_control_plane_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.exfiltrating_artifacts_via_kubernetes_control_plane

_tar_reads(path, overrides) := testing.open(path, 0, object.union(
	{"process": {"name": "tar", "exe": "/usr/bin/tar", "tty": 0, "container": {"id": "41e5c07cc310"}, "parent": {"name": "runc"}}},
	overrides,
))

test_alerts_kubectl_cp if {
	found := exfiltrating_artifacts_via_kubernetes_control_plane.alerts with input as _tar_reads("/app/secrets.db", {})
	count(found) == 1
	some alert in found
	alert.rule == "Exfiltrating Artifacts via Kubernetes Control Plane"
	alert.id == "exfiltrating_artifacts_via_kubernetes_control_plane"
	contains(alert.output, "file=/app/secrets.db")
}

test_alerts_no_parent if {
	found := exfiltrating_artifacts_via_kubernetes_control_plane.alerts with input as _tar_reads("/data/x", {"process": {"parent": null}})
	count(found) == 1
	some alert in found
	alert.rule == "Exfiltrating Artifacts via Kubernetes Control Plane"
	alert.id == "exfiltrating_artifacts_via_kubernetes_control_plane"
}

test_no_alert_library if {
	count(exfiltrating_artifacts_via_kubernetes_control_plane.alerts) == 0 with input as _tar_reads("/usr/lib/libc.so.6", {})
}

test_no_alert_interactive if {
	count(exfiltrating_artifacts_via_kubernetes_control_plane.alerts) == 0 with input as _tar_reads("/app/secrets.db", {"process": {"tty": 34816}})
}

test_no_alert_below_a_shell if {
	count(exfiltrating_artifacts_via_kubernetes_control_plane.alerts) == 0 with input as _tar_reads("/app/secrets.db", {"process": {"parent": {"name": "bash"}}})
}

test_no_alert_on_host if {
	count(exfiltrating_artifacts_via_kubernetes_control_plane.alerts) == 0 with input as _tar_reads("/app/secrets.db", {"process": {"container": null}})
}
