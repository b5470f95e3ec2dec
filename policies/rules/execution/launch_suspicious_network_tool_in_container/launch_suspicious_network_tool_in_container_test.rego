package bpfopa.rules.launch_suspicious_network_tool_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_suspicious_network_tool_in_container

test_alerts_nc_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "nc", "exe": "/usr/bin/nc", "args": ["-lvp", "4444"], "argv0": "nc", "cmdline": "nc -lvp 4444"}}))
	found := launch_suspicious_network_tool_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Launch Suspicious Network Tool in Container"
	alert.id == "launch_suspicious_network_tool_in_container"
}

test_no_alert_nc_on_host if {
	doc := testing.exec({"process": {"name": "nc", "exe": "/usr/bin/nc", "args": [], "argv0": "nc", "cmdline": "nc"}})
	count(launch_suspicious_network_tool_in_container.alerts) == 0 with input as doc
}

test_no_alert_curl_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}}))
	count(launch_suspicious_network_tool_in_container.alerts) == 0 with input as doc
}
