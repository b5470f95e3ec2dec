package bpfopa.rules.interpreted_procs_outbound_network_activity_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.interpreted_procs_outbound_network_activity

test_alerts_python_connects if {
	doc := testing.connect("93.184.216.34", 443, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}})
	found := interpreted_procs_outbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs outbound network activity"
	alert.id == "interpreted_procs_outbound_network_activity"
}

test_alerts_in_progress if {
	doc := testing.connect("93.184.216.34", 443, {"process": {"name": "node", "exe": "/usr/bin/node", "args": [], "argv0": "node", "cmdline": "node"}, "event": {"ret": -115, "error": "EINPROGRESS"}})
	found := interpreted_procs_outbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs outbound network activity"
	alert.id == "interpreted_procs_outbound_network_activity"
}

test_alerts_node_udp_send if {
	doc := testing.syscall("sendto", {"process": {"name": "node", "exe": "/usr/bin/node", "args": [], "argv0": "node", "cmdline": "node"}, "event": {"ret": 20, "params": {"addr": {"family": "AF_INET6", "address": "2001:db8::1", "port": 9999}}, "fd": {"num": 4, "type": "ipv6", "proto": "udp", "name": "[::]:5000"}}})
	found := interpreted_procs_outbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs outbound network activity"
	alert.id == "interpreted_procs_outbound_network_activity"
}

test_no_alert_private_peer if {
	doc := testing.connect("10.1.2.3", 443, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}})
	count(interpreted_procs_outbound_network_activity.alerts) == 0 with input as doc
}

test_no_alert_refused if {
	doc := testing.connect("93.184.216.34", 443, {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"ret": -111, "error": "ECONNREFUSED"}})
	count(interpreted_procs_outbound_network_activity.alerts) == 0 with input as doc
}

test_no_alert_not_interpreter if {
	doc := testing.connect("93.184.216.34", 443, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}})
	count(interpreted_procs_outbound_network_activity.alerts) == 0 with input as doc
}
