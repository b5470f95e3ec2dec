package bpfopa.rules.network_tool_executed_during_npm_package_install_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.network_tool_executed_during_npm_package_install

_exec(name, cmdline, overrides) := testing.exec(object.union(
	{"process": {
		"name": name, "exe": concat("/", ["/usr/bin", name]), "args": array.slice(split(cmdline, " "), 1, 100),
		"argv0": name, "cmdline": cmdline,
	}},
	overrides,
))

_below(parent) := {"process": {"parent": {"name": parent}}}

test_alerts_nc_below_npm if {
	found := network_tool_executed_during_npm_package_install.alerts with input as _exec("nc", "nc 203.0.113.5 4444", object.union(testing.in_container, {"process": {"parent": {"name": "sh"}, "ancestors": [{"name": "node"}, {"name": "npm"}]}}))
	count(found) == 1
	some alert in found
	alert.rule == "Network Tool Executed During NPM Package Install"
	alert.id == "network_tool_executed_during_npm_package_install"
}

test_alerts_nmap_below_yarn if {
	found := network_tool_executed_during_npm_package_install.alerts with input as _exec("nmap", "nmap 10.0.0.0/24", object.union(testing.in_container, _below("yarn")))
	count(found) == 1
	some alert in found
	alert.rule == "Network Tool Executed During NPM Package Install"
	alert.id == "network_tool_executed_during_npm_package_install"
}

test_no_alert_on_host if {
	count(network_tool_executed_during_npm_package_install.alerts) == 0 with input as _exec("nc", "nc 203.0.113.5 4444", _below("npm"))
}

test_no_alert_not_below_npm if {
	count(network_tool_executed_during_npm_package_install.alerts) == 0 with input as _exec("nc", "nc 203.0.113.5 4444", object.union(testing.in_container, _below("bash")))
}
