package bpfopa.rules.container_run_as_root_user_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.container_run_as_root_user

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

test_alerts_root if {
	found := container_run_as_root_user.alerts with input as _start({}, {"process": {"uid": 0, "user": "root"}})
	count(found) == 1
	some alert in found
	alert.rule == "Container Run as Root User"
	alert.id == "container_run_as_root_user"
	contains(alert.output, "image=docker.io/library/nginx")
}

test_no_alert_unprivileged_user if {
	count(container_run_as_root_user.alerts) == 0 with input as _start({}, {"process": {"uid": 101, "user": "nginx"}})
}

test_no_alert_later_process if {
	count(container_run_as_root_user.alerts) == 0 with input as _start({}, {"process": {"uid": 0, "vpid": 9}})
}
