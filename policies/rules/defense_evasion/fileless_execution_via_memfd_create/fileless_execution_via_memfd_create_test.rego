package bpfopa.rules.fileless_execution_via_memfd_create_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.fileless_execution_via_memfd_create

test_alerts_memfd_exe if {
	doc := testing.exec({"process": {"name": "3", "exe": "/memfd:payload (deleted)", "args": [], "argv0": "3", "cmdline": "3"}})
	found := fileless_execution_via_memfd_create.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Fileless execution via memfd_create"
	alert.id == "fileless_execution_via_memfd_create"
}

test_no_alert_disk_exe if {
	doc := testing.exec({"process": {"name": "ls", "exe": "/usr/bin/ls", "args": [], "argv0": "ls", "cmdline": "ls"}})
	count(fileless_execution_via_memfd_create.alerts) == 0 with input as doc
}
