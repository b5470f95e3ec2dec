package bpfopa.rules.interpreted_procs_inbound_network_activity_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.interpreted_procs_inbound_network_activity

test_alerts_python_accepts if {
	doc := testing.syscall("accept4", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"ret": 5, "params": {"fd": 3, "upeer_sockaddr": {"family": "AF_INET", "address": "198.51.100.7", "port": 51000}}, "fd": {"num": 3, "type": "ipv4", "name": null}}})
	found := interpreted_procs_inbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs inbound network activity"
	alert.id == "interpreted_procs_inbound_network_activity"
}

test_alerts_local_peer_name_form if {
	doc := testing.syscall("accept", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"ret": 5, "fd": {"num": 3, "type": "ipv4", "name": "10.0.0.5:8000->198.51.100.7:51000"}}})
	found := interpreted_procs_inbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs inbound network activity"
	alert.id == "interpreted_procs_inbound_network_activity"
}

test_alerts_perl_listens if {
	doc := testing.syscall("listen", {"process": {"name": "perl", "exe": "/usr/bin/perl", "args": [], "argv0": "perl", "cmdline": "perl"}, "event": {"fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": "10.0.0.5:4444"}}})
	found := interpreted_procs_inbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs inbound network activity"
	alert.id == "interpreted_procs_inbound_network_activity"
}

test_alerts_ruby_udp if {
	doc := testing.syscall("recvfrom", {"process": {"name": "ruby", "exe": "/usr/bin/ruby", "args": [], "argv0": "ruby", "cmdline": "ruby"}, "event": {"ret": 40, "params": {"addr": {"family": "AF_INET", "address": "198.51.100.7", "port": 9000}}, "fd": {"num": 3, "type": "ipv4", "proto": "udp", "name": "0.0.0.0:9000"}}})
	found := interpreted_procs_inbound_network_activity.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Interpreted procs inbound network activity"
	alert.id == "interpreted_procs_inbound_network_activity"
}

test_no_alert_nginx_accepts if {
	doc := testing.syscall("accept4", {"process": {"name": "nginx", "exe": "/usr/bin/nginx", "args": [], "argv0": "nginx", "cmdline": "nginx"}, "event": {"ret": 5, "fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": "10.0.0.5:80->198.51.100.7:51000"}}})
	count(interpreted_procs_inbound_network_activity.alerts) == 0 with input as doc
}

test_no_alert_loopback_peer if {
	doc := testing.syscall("accept", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"ret": 5, "fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": "127.0.0.1:8000->127.0.0.1:51000"}}})
	count(interpreted_procs_inbound_network_activity.alerts) == 0 with input as doc
}

test_no_alert_tcp_recvfrom if {
	doc := testing.syscall("recvfrom", {"process": {"name": "ruby", "exe": "/usr/bin/ruby", "args": [], "argv0": "ruby", "cmdline": "ruby"}, "event": {"ret": 40, "fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": "10.0.0.5:9000->198.51.100.7:51000"}}})
	count(interpreted_procs_inbound_network_activity.alerts) == 0 with input as doc
}

test_no_alert_failed_accept if {
	doc := testing.syscall("accept", {"process": {"name": "python3", "exe": "/usr/bin/python3", "args": [], "argv0": "python3", "cmdline": "python3"}, "event": {"ret": -11, "error": "EAGAIN", "fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": "10.0.0.5:8000"}}})
	count(interpreted_procs_inbound_network_activity.alerts) == 0 with input as doc
}
