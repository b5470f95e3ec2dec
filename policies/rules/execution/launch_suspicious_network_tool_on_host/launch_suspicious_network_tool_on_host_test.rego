package bpfopa.rules.launch_suspicious_network_tool_on_host_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_suspicious_network_tool_on_host

test_alerts_nmap_on_host if {
	doc := testing.exec({"process": {"name": "nmap", "exe": "/usr/bin/nmap", "args": ["-sS", "10.0.0.0/24"], "argv0": "nmap", "cmdline": "nmap -sS 10.0.0.0/24"}})
	found := launch_suspicious_network_tool_on_host.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Launch Suspicious Network Tool on Host"
	alert.id == "launch_suspicious_network_tool_on_host"
}

test_no_alert_nmap_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "nmap", "exe": "/usr/bin/nmap", "args": [], "argv0": "nmap", "cmdline": "nmap"}}))
	count(launch_suspicious_network_tool_on_host.alerts) == 0 with input as doc
}

test_no_alert_curl_on_host if {
	doc := testing.exec({"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}})
	count(launch_suspicious_network_tool_on_host.alerts) == 0 with input as doc
}
