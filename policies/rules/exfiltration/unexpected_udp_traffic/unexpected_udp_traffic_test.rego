package bpfopa.rules.unexpected_udp_traffic_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.unexpected_udp_traffic

test_alerts_udp_connect_4000 if {
	doc := testing.connect("203.0.113.9", 4000, {"event": {"fd": {"proto": "udp"}}})
	found := unexpected_udp_traffic.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Unexpected UDP Traffic"
	alert.id == "unexpected_udp_traffic"
}

test_no_alert_udp_dns if {
	doc := testing.connect("203.0.113.9", 53, {"event": {"fd": {"proto": "udp"}}})
	count(unexpected_udp_traffic.alerts) == 0 with input as doc
}

test_no_alert_tcp_4000 if {
	doc := testing.connect("203.0.113.9", 4000, {"event": {"fd": {"proto": "tcp"}}})
	count(unexpected_udp_traffic.alerts) == 0 with input as doc
}
