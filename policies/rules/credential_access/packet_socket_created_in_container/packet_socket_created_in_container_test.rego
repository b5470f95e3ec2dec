package bpfopa.rules.packet_socket_created_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.packet_socket_created_in_container

test_alerts_af_packet_number if {
	doc := testing.syscall("socket", object.union(testing.in_container, {"event": {"ret": 3, "params": {"family": 17, "type": 3, "protocol": 768}}}))
	found := packet_socket_created_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Packet socket created in container"
	alert.id == "packet_socket_created_in_container"
}

test_alerts_af_packet_name if {
	doc := testing.syscall("socket", object.union(testing.in_container, {"event": {"ret": 3, "params": {"domain": 17, "domain_name": "AF_PACKET"}}}))
	found := packet_socket_created_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Packet socket created in container"
	alert.id == "packet_socket_created_in_container"
}

test_no_alert_af_inet if {
	doc := testing.syscall("socket", object.union(testing.in_container, {"event": {"ret": 3, "params": {"family": 2, "family_name": "AF_INET"}}}))
	count(packet_socket_created_in_container.alerts) == 0 with input as doc
}

test_no_alert_on_host if {
	doc := testing.syscall("socket", {"event": {"ret": 3, "params": {"family": 17}}})
	count(packet_socket_created_in_container.alerts) == 0 with input as doc
}
