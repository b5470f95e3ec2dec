package bpfopa.rules.unexpected_k8s_nodeport_connection_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.unexpected_k8s_nodeport_connection

test_alerts_connect_nodeport if {
	doc := testing.connect("10.0.0.9", 30080, object.union(testing.in_container, {}))
	found := unexpected_k8s_nodeport_connection.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Unexpected K8s NodePort Connection"
	alert.id == "unexpected_k8s_nodeport_connection"
}

test_no_alert_connect_8080 if {
	doc := testing.connect("10.0.0.9", 8080, object.union(testing.in_container, {}))
	count(unexpected_k8s_nodeport_connection.alerts) == 0 with input as doc
}

test_no_alert_on_host if {
	doc := testing.connect("10.0.0.9", 30080, {})
	count(unexpected_k8s_nodeport_connection.alerts) == 0 with input as doc
}
