package bpfopa.rules.disallowed_ssh_connection_non_standard_port_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.disallowed_ssh_connection_non_standard_port

test_alerts_ssh_2222 if {
	doc := testing.connect("203.0.113.10", 2222, {"process": {"name": "ssh", "exe": "/usr/bin/ssh", "args": ["-p", "2222", "203.0.113.10"], "argv0": "ssh", "cmdline": "ssh -p 2222 203.0.113.10"}})
	found := disallowed_ssh_connection_non_standard_port.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Disallowed SSH Connection Non Standard Port"
	alert.id == "disallowed_ssh_connection_non_standard_port"
}

test_no_alert_ssh_22 if {
	doc := testing.connect("203.0.113.10", 22, {"process": {"name": "ssh", "exe": "/usr/bin/ssh", "args": ["203.0.113.10"], "argv0": "ssh", "cmdline": "ssh 203.0.113.10"}})
	count(disallowed_ssh_connection_non_standard_port.alerts) == 0 with input as doc
}

test_no_alert_curl_2222 if {
	doc := testing.connect("203.0.113.10", 2222, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}})
	count(disallowed_ssh_connection_non_standard_port.alerts) == 0 with input as doc
}
