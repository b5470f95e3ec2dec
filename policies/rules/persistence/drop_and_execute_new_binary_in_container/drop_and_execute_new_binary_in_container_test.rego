package bpfopa.rules.drop_and_execute_new_binary_in_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.drop_and_execute_new_binary_in_container

test_alerts_upper_layer if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "xmrig", "exe": "/tmp/xmrig", "args": [], "argv0": "xmrig", "cmdline": "xmrig", "exe_upper_layer": true}}))
	found := drop_and_execute_new_binary_in_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Drop and execute new binary in container"
	alert.id == "drop_and_execute_new_binary_in_container"
}

test_no_alert_image_binary if {
	doc := testing.exec(object.union(testing.in_container, {"process": {"name": "ls", "exe": "/usr/bin/ls", "args": [], "argv0": "ls", "cmdline": "ls", "exe_upper_layer": false}}))
	count(drop_and_execute_new_binary_in_container.alerts) == 0 with input as doc
}

test_no_alert_host if {
	doc := testing.exec({"process": {"name": "xmrig", "exe": "/tmp/xmrig", "args": [], "argv0": "xmrig", "cmdline": "xmrig", "exe_upper_layer": true}})
	count(drop_and_execute_new_binary_in_container.alerts) == 0 with input as doc
}
