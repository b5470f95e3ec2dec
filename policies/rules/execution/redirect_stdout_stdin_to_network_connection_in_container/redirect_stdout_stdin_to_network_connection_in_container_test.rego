package bpfopa.rules.redirect_stdout_stdin_to_network_connection_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.redirect_stdout_stdin_to_network_connection_in_container

test_alerts_dup2_socket_to_stdin if {
	doc := testing.syscall("dup2", object.union(testing.in_container, {"event": {"ret": 0, "params": {"oldfd": 3, "newfd": 0}, "fd": {"num": 3, "type": "ipv4", "name": "10.0.0.5:40000->203.0.113.7:4444"}}}))
	found := redirect_stdout_stdin_to_network_connection_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Redirect STDOUT/STDIN to Network Connection in Container"
	alert.id == "redirect_stdout_stdin_to_network_connection_in_container"
}

test_no_alert_dup2_file if {
	doc := testing.syscall("dup2", object.union(testing.in_container, {"event": {"ret": 1, "params": {"oldfd": 3, "newfd": 1}, "fd": {"num": 3, "type": "file", "name": "/tmp/log"}}}))
	count(redirect_stdout_stdin_to_network_connection_in_container.alerts) == 0 with input as doc
}

test_no_alert_dup2_socket_to_fd_5 if {
	doc := testing.syscall("dup2", object.union(testing.in_container, {"event": {"ret": 5, "params": {"oldfd": 3, "newfd": 5}, "fd": {"num": 3, "type": "ipv4", "name": "10.0.0.5:40000->203.0.113.7:4444"}}}))
	count(redirect_stdout_stdin_to_network_connection_in_container.alerts) == 0 with input as doc
}
