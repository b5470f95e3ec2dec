package bpfopa.rules.contact_k8s_api_server_from_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.contact_k8s_api_server_from_container

test_alerts_pod_calls_api if {
	doc := testing.connect("10.96.0.1", 443, object.union(testing.in_container, {"process": {"env": ["KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT=443"]}}))
	found := contact_k8s_api_server_from_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Contact K8S API Server From Container"
	alert.id == "contact_k8s_api_server_from_container"
}

test_alerts_default_port if {
	doc := testing.connect("10.96.0.1", 443, object.union(testing.in_container, {"process": {"env": ["KUBERNETES_SERVICE_HOST=10.96.0.1"]}}))
	found := contact_k8s_api_server_from_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Contact K8S API Server From Container"
	alert.id == "contact_k8s_api_server_from_container"
}

test_no_alert_on_host if {
	doc := testing.connect("10.96.0.1", 443, {"process": {"env": ["KUBERNETES_SERVICE_HOST=10.96.0.1"]}})
	count(contact_k8s_api_server_from_container.alerts) == 0 with input as doc
}

test_no_alert_other_service if {
	doc := testing.connect("10.96.0.10", 53, object.union(testing.in_container, {"process": {"env": ["KUBERNETES_SERVICE_HOST=10.96.0.1"]}}))
	count(contact_k8s_api_server_from_container.alerts) == 0 with input as doc
}
