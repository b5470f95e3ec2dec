package bpfopa.rules.contact_cloud_metadata_service_from_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.contact_cloud_metadata_service_from_container

_metadata_connect(container) := testing.connect("169.254.169.254", 80, {"process": {"container": container}})

test_alerts_in_container if {
	found := contact_cloud_metadata_service_from_container.alerts with input as _metadata_connect({"id": "41e5c07cc310"})
	count(found) == 1
	some alert in found
	alert.rule == "Contact cloud metadata service from container"
	alert.id == "contact_cloud_metadata_service_from_container"
	contains(alert.output, "connection=169.254.169.254:80")
}

test_no_alert_kube_system if {
	count(contact_cloud_metadata_service_from_container.alerts) == 0 with input as _metadata_connect({"id": "41e5c07cc310", "pod": {"namespace": "kube-system"}})
}

test_no_alert_on_host if {
	count(contact_cloud_metadata_service_from_container.alerts) == 0 with input as _metadata_connect(null)
}

test_no_alert_other_address if {
	count(contact_cloud_metadata_service_from_container.alerts) == 0 with input as testing.connect("203.0.113.5", 80, testing.in_container)
}
