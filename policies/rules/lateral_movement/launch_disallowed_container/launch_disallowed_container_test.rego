package bpfopa.rules.launch_disallowed_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_disallowed_container

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

_allowed := {"allowed_container_images": ["docker.io/library/redis", "registry.example/team/*"]}

test_alerts_image_not_allowed if {
	found := launch_disallowed_container.alerts with input as _start({}, {}) with data.bpfopa.config as _allowed
	count(found) == 1
	some alert in found
	alert.rule == "Launch Disallowed Container"
	contains(alert.output, "image=docker.io/library/nginx")
}

test_alerts_unknown_image if {
	count(launch_disallowed_container.alerts) == 1 with input as _start({"image": null}, {}) with data.bpfopa.config as _allowed
}

test_no_alert_allowed_image if {
	doc := _start({"image": {"repository": "docker.io/library/redis"}}, {})
	count(launch_disallowed_container.alerts) == 0 with input as doc with data.bpfopa.config as _allowed
}

test_no_alert_allowed_prefix if {
	doc := _start({"image": {"repository": "registry.example/team/api"}}, {})
	count(launch_disallowed_container.alerts) == 0 with input as doc with data.bpfopa.config as _allowed
}

test_no_alert_without_an_allowed_list if {
	count(launch_disallowed_container.alerts) == 0 with input as _start({}, {})
}

test_no_alert_later_process if {
	count(launch_disallowed_container.alerts) == 0 with input as _start({}, {"process": {"vpid": 30}}) with data.bpfopa.config as _allowed
}
