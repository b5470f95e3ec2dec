package bpfopa.rules.system_procs_network_activity_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.system_procs_network_activity

_connect(name, address, port) := testing.connect(address, port, {"process": {"name": name, "exe": concat("/", ["/usr/bin", name])}})

test_alerts_sha1sum_connects if {
	found := system_procs_network_activity.alerts with input as _connect("sha1sum", "203.0.113.9", 443)
	count(found) == 1
	some alert in found
	alert.rule == "System procs network activity"
	alert.id == "system_procs_network_activity"
	contains(alert.output, "connection=203.0.113.9:443")
	contains(alert.output, "rport=443 fd_type=ipv4")
}

test_alerts_shell_connects_private_peer if {
	found := system_procs_network_activity.alerts with input as _connect("bash", "10.0.0.8", 4444)
	count(found) == 1
	some alert in found
	alert.rule == "System procs network activity"
	alert.id == "system_procs_network_activity"
}

test_alerts_sleep_listens if {
	found := system_procs_network_activity.alerts with input as testing.syscall("listen", {"process": {"name": "sleep"}, "event": {"params": {"fd": 3, "backlog": 5}, "fd": {"num": 3, "type": "ipv4", "proto": "tcp", "name": "192.0.2.1:8080"}}})
	count(found) == 1
	some alert in found
	alert.rule == "System procs network activity"
	alert.id == "system_procs_network_activity"
}

test_no_alert_curl_connects if {
	count(system_procs_network_activity.alerts) == 0 with input as _connect("curl", "203.0.113.9", 443)
}

test_no_alert_known_system_proc if {
	count(system_procs_network_activity.alerts) == 0 with input as _connect("systemd", "203.0.113.9", 443)
}

test_no_alert_loopback if {
	count(system_procs_network_activity.alerts) == 0 with input as _connect("sha1sum", "127.0.0.1", 443)
}

test_no_alert_unix_socket if {
	count(system_procs_network_activity.alerts) == 0 with input as testing.syscall("connect", {"process": {"name": "cat"}, "event": {"params": {"fd": 3, "uservaddr": {"family": "AF_UNIX", "address": "/run/x.sock", "port": null}}, "fd": {"num": 3, "type": "unix", "name": "/run/x.sock"}}})
}

test_no_alert_failed if {
	count(system_procs_network_activity.alerts) == 0 with input as object.union(_connect("sha1sum", "203.0.113.9", 443), {"event": {"ret": -111, "error": "ECONNREFUSED"}})
}

test_no_alert_login_dns_lookup if {
	doc := testing.syscall("listen", {"process": {"name": "login"}, "event": {"params": {"fd": 3, "backlog": 5}, "fd": {"num": 3, "type": "ipv4", "proto": "udp", "name": "192.0.2.1:53"}}})
	count(system_procs_network_activity.alerts) == 0 with input as doc
}

test_alerts_login_other_port if {
	doc := testing.syscall("listen", {"process": {"name": "login"}, "event": {"params": {"fd": 3, "backlog": 5}, "fd": {"num": 3, "type": "ipv4", "proto": "udp", "name": "192.0.2.1:5353"}}})
	count(system_procs_network_activity.alerts) == 1 with input as doc
}
