package bpfopa.rules.execution_from_dev_shm_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.execution_from_dev_shm

test_alerts_exe_in_dev_shm if {
	doc := testing.exec({"process": {"name": "payload", "exe": "/dev/shm/payload", "args": [], "argv0": "payload", "cmdline": "payload"}})
	found := execution_from_dev_shm.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Execution from /dev/shm"
	alert.id == "execution_from_dev_shm"
}

test_alerts_relative_in_dev_shm if {
	doc := testing.exec({"process": {"name": "payload", "exe": "/tmp/payload", "args": [], "argv0": "./payload", "cmdline": "payload", "cwd": "/dev/shm"}})
	found := execution_from_dev_shm.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Execution from /dev/shm"
	alert.id == "execution_from_dev_shm"
}

test_alerts_shell_script if {
	doc := testing.exec({"process": {"name": "bash", "exe": "/usr/bin/bash", "args": ["/dev/shm/run.sh"], "argv0": "bash", "cmdline": "bash /dev/shm/run.sh"}})
	found := execution_from_dev_shm.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Execution from /dev/shm"
	alert.id == "execution_from_dev_shm"
}

test_no_alert_normal_exec if {
	doc := testing.exec({"process": {"name": "ls", "exe": "/usr/bin/ls", "args": ["/dev/shm"], "argv0": "ls", "cmdline": "ls /dev/shm"}})
	count(execution_from_dev_shm.alerts) == 0 with input as doc
}

test_no_alert_relative_elsewhere if {
	doc := testing.exec({"process": {"name": "payload", "exe": "/usr/bin/payload", "args": [], "argv0": "./payload", "cmdline": "payload", "cwd": "/tmp"}})
	count(execution_from_dev_shm.alerts) == 0 with input as doc
}
