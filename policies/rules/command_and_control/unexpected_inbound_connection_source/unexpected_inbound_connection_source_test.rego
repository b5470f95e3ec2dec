package bpfopa.rules.unexpected_inbound_connection_source_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.unexpected_inbound_connection_source

_accept(client) := testing.syscall("accept4", {"event": {
	"ret": 5,
	"params": {"fd": 3, "upeer_sockaddr": {"family": "AF_INET", "address": client, "port": 51000}},
	"fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": sprintf("192.0.2.1:22->%s:51000", [client])},
}})

test_alerts_routable_client if {
	found := unexpected_inbound_connection_source.alerts with input as _accept("203.0.113.9")
	count(found) == 1
	some alert in found
	alert.rule == "Unexpected inbound connection source"
	alert.id == "unexpected_inbound_connection_source"
	contains(alert.output, "connection=192.0.2.1:22->203.0.113.9:51000 lport=22 rport=51000")
}

test_no_alert_allowed_network if {
	count(unexpected_inbound_connection_source.alerts) == 0 with input as _accept("10.1.2.3")
}

test_no_alert_loopback if {
	count(unexpected_inbound_connection_source.alerts) == 0 with input as _accept("127.0.0.1")
}
