package bpfopa.rules.write_below_root_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.write_below_root

_write(path, overrides) := testing.open(path, 577, object.union({"process": {"name": "touch"}}, overrides))

test_alerts_file_below_root_home if {
	found := write_below_root.alerts with input as _write("/root/falco-test", {})
	count(found) == 1
	some alert in found
	alert.rule == "Write below root"
	alert.id == "write_below_root"
	contains(alert.output, "file=/root/falco-test")
}

test_alerts_root_home if {
	found := write_below_root.alerts with input as _write("/root/notes.txt", {"process": {"name": "vim"}})
	count(found) == 1
	some alert in found
	alert.rule == "Write below root"
	alert.id == "write_below_root"
}

test_no_alert_read if {
	count(write_below_root.alerts) == 0 with input as testing.open("/root/notes.txt", 0, {})
}

test_no_alert_known_file if {
	count(write_below_root.alerts) == 0 with input as _write("/root/.bash_history", {})
}

test_no_alert_known_prefix if {
	count(write_below_root.alerts) == 0 with input as _write("/root/.cache/go-build/ab/cd", {"process": {"name": "compile"}})
}

test_no_alert_known_directory if {
	count(write_below_root.alerts) == 0 with input as _write("/root/.ssh/known_hosts", {"process": {"name": "ssh"}})
}

test_no_alert_go_module_cache if {
	count(write_below_root.alerts) == 0 with input as _write("/root/go/pkg/mod/cache/download/x.zip", {"process": {"name": "go"}})
}

test_no_alert_known_program if {
	count(write_below_root.alerts) == 0 with input as _write("/root/.kube/config", {"process": {"name": "kubectl"}})
}

# Not matched (unlike Falco): the kernel's open filter has no literal for it.
test_no_alert_directly_below_root if {
	count(write_below_root.alerts) == 0 with input as _write("/falco-test", {})
}

test_no_alert_deeper_directory if {
	count(write_below_root.alerts) == 0 with input as _write("/srv/app/file", {})
}
