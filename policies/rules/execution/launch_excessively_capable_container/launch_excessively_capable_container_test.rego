package bpfopa.rules.launch_excessively_capable_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_excessively_capable_container

# The exec of a container's first process (pid 1 in its pid namespace).
_start(container, overrides) := testing.exec(object.union(
	{"process": {
		"name": "nginx", "exe": "/usr/sbin/nginx", "args": [], "argv0": "nginx", "cmdline": "nginx",
		"vpid": 1, "cap_effective": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
		"container": object.union(
			{
				"id": "41e5c07cc310", "full_id": "41e5c07cc310aaaa", "runtime": "docker", "name": "web",
				"image": {"repository": "docker.io/library/nginx", "tag": "1.27", "digest": null, "id": null},
				"privileged": false, "cap_add": [], "mounts": [], "pod": null,
			},
			container,
		),
	}},
	overrides,
))

test_alerts_cap_sys_admin if {
	found := launch_excessively_capable_container.alerts with input as _start({"cap_add": ["CAP_SYS_ADMIN"]}, {"process": {"cap_effective": ["CAP_CHOWN", "CAP_SYS_ADMIN"]}})
	count(found) == 1
	some alert in found
	alert.rule == "Launch Excessively Capable Container"
	alert.id == "launch_excessively_capable_container"
	contains(alert.output, "cap_permitted=CAP_CHOWN CAP_SYS_ADMIN")
}

test_alerts_two_capabilities_one_alert if {
	found := launch_excessively_capable_container.alerts with input as _start({}, {"process": {"cap_permitted": ["CAP_BPF", "CAP_SYS_PTRACE"]}})
	count(found) == 1
	some alert in found
	alert.rule == "Launch Excessively Capable Container"
	alert.id == "launch_excessively_capable_container"
}

test_no_alert_default_capabilities if {
	count(launch_excessively_capable_container.alerts) == 0 with input as _start({}, {})
}

test_no_alert_trusted_image if {
	count(launch_excessively_capable_container.alerts) == 0 with input as _start({"image": {"repository": "docker.io/sysdig/sysdig"}}, {"process": {"cap_effective": ["CAP_SYS_ADMIN"]}})
}

test_no_alert_later_process if {
	count(launch_excessively_capable_container.alerts) == 0 with input as _start({}, {"process": {"vpid": 12, "cap_effective": ["CAP_SYS_ADMIN"]}})
}
