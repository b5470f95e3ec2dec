package bpfopa.rules.network_connection_outside_local_subnet_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.network_connection_outside_local_subnet

_config := {"namespace_scope_network_only_subnet": ["payments"]}

_connect(address, namespace) := testing.connect(address, 443, {"process": {"container": {"id": "41e5c07cc310", "pod": {"namespace": namespace}}}})

test_alerts_public_peer if {
	found := network_connection_outside_local_subnet.alerts with input as _connect("203.0.113.5", "payments") with data.bpfopa.config as _config
	count(found) == 1
	some alert in found
	alert.rule == "Network Connection outside Local Subnet"
	contains(alert.output, "connection=203.0.113.5:443")
}

test_no_alert_private_peer if {
	count(network_connection_outside_local_subnet.alerts) == 0 with input as _connect("10.0.0.5", "payments") with data.bpfopa.config as _config
}

test_no_alert_other_namespace if {
	count(network_connection_outside_local_subnet.alerts) == 0 with input as _connect("203.0.113.5", "web") with data.bpfopa.config as _config
}

test_no_alert_without_configuration if {
	count(network_connection_outside_local_subnet.alerts) == 0 with input as _connect("203.0.113.5", "payments")
}
