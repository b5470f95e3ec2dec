package bpfopa.rules.launch_ingress_remote_file_copy_tools_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_ingress_remote_file_copy_tools_in_container

_tool(name, args, container) := testing.exec(object.union(container, {"process": {
	"name": name, "exe": concat("/", ["/usr/bin", name]), "args": args, "argv0": name,
	"cmdline": concat(" ", array.concat([name], args)),
}}))

test_alerts_wget if {
	found := launch_ingress_remote_file_copy_tools_in_container.alerts with input as _tool("wget", ["http://203.0.113.5/x"], testing.in_container)
	count(found) == 1
	some alert in found
	alert.rule == "Launch Ingress Remote File Copy Tools in Container"
	alert.id == "launch_ingress_remote_file_copy_tools_in_container"
}

test_alerts_curl_output if {
	found := launch_ingress_remote_file_copy_tools_in_container.alerts with input as _tool("curl", ["-o", "/tmp/x", "http://203.0.113.5/x"], testing.in_container)
	count(found) == 1
	some alert in found
	alert.rule == "Launch Ingress Remote File Copy Tools in Container"
	alert.id == "launch_ingress_remote_file_copy_tools_in_container"
}

test_alerts_curl_remote_name if {
	found := launch_ingress_remote_file_copy_tools_in_container.alerts with input as _tool("curl", ["--remote-name", "http://203.0.113.5/x"], testing.in_container)
	count(found) == 1
	some alert in found
	alert.rule == "Launch Ingress Remote File Copy Tools in Container"
	alert.id == "launch_ingress_remote_file_copy_tools_in_container"
}

test_no_alert_curl_to_stdout if {
	count(launch_ingress_remote_file_copy_tools_in_container.alerts) == 0 with input as _tool("curl", ["http://203.0.113.5/x"], testing.in_container)
}

test_no_alert_wget_on_host if {
	count(launch_ingress_remote_file_copy_tools_in_container.alerts) == 0 with input as _tool("wget", ["http://203.0.113.5/x"], {})
}
