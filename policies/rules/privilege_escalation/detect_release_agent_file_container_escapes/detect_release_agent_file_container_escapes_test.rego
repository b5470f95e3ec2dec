package bpfopa.rules.detect_release_agent_file_container_escapes_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.detect_release_agent_file_container_escapes

test_alerts_root_with_sys_admin if {
	doc := testing.open("/tmp/cgrp/release_agent", 1, object.union(testing.in_container, {"process": {"name": "sh", "exe": "/usr/bin/sh", "args": [], "argv0": "sh", "cmdline": "sh", "uid": 0, "cap_effective": ["CAP_SYS_ADMIN"]}}))
	found := detect_release_agent_file_container_escapes.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Detect release_agent File Container Escapes"
	alert.id == "detect_release_agent_file_container_escapes"
}

test_alerts_dac_override if {
	doc := testing.open("/tmp/cgrp/release_agent", 577, object.union(testing.in_container, {"process": {"name": "sh", "exe": "/usr/bin/sh", "args": [], "argv0": "sh", "cmdline": "sh", "uid": 1000, "cap_effective": ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE"]}}))
	found := detect_release_agent_file_container_escapes.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Detect release_agent File Container Escapes"
	alert.id == "detect_release_agent_file_container_escapes"
}

test_no_alert_without_sys_admin if {
	doc := testing.open("/tmp/cgrp/release_agent", 1, object.union(testing.in_container, {"process": {"name": "sh", "exe": "/usr/bin/sh", "args": [], "argv0": "sh", "cmdline": "sh", "uid": 0}}))
	count(detect_release_agent_file_container_escapes.alerts) == 0 with input as doc
}

test_no_alert_read_only if {
	doc := testing.open("/tmp/cgrp/release_agent", 0, object.union(testing.in_container, {"process": {"name": "sh", "exe": "/usr/bin/sh", "args": [], "argv0": "sh", "cmdline": "sh", "uid": 0, "cap_effective": ["CAP_SYS_ADMIN"]}}))
	count(detect_release_agent_file_container_escapes.alerts) == 0 with input as doc
}
