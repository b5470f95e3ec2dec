package bpfopa.rules.launch_sensitive_mount_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_sensitive_mount_container

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

_mount(source, destination) := {"source": source, "destination": destination, "rw": true}

test_alerts_docker_socket if {
	found := launch_sensitive_mount_container.alerts with input as _start({"mounts": [_mount("/data", "/data"), _mount("/var/run/docker.sock", "/var/run/docker.sock")]}, {})
	count(found) == 1
	some alert in found
	alert.rule == "Launch Sensitive Mount Container"
	alert.id == "launch_sensitive_mount_container"
	contains(alert.output, "mounts=/var/run/docker.sock")
}

test_alerts_host_proc if {
	found := launch_sensitive_mount_container.alerts with input as _start({"mounts": [_mount("/proc", "/host/proc")]}, {"process": {"container": {"mounts": [_mount("/proc", "/proc/host")]}}})
	count(found) == 1
	some alert in found
	alert.rule == "Launch Sensitive Mount Container"
	alert.id == "launch_sensitive_mount_container"
}

test_alerts_host_root if {
	found := launch_sensitive_mount_container.alerts with input as _start({"mounts": [_mount("/", "/")]}, {})
	count(found) == 1
	some alert in found
	alert.rule == "Launch Sensitive Mount Container"
	alert.id == "launch_sensitive_mount_container"
}

test_no_alert_ordinary_mount if {
	count(launch_sensitive_mount_container.alerts) == 0 with input as _start({"mounts": [_mount("/srv/www", "/usr/share/nginx/html")]}, {})
}

test_no_alert_no_mounts if {
	count(launch_sensitive_mount_container.alerts) == 0 with input as _start({"mounts": null}, {})
}

test_no_alert_trusted_image if {
	count(launch_sensitive_mount_container.alerts) == 0 with input as _start({"mounts": [_mount("/", "/")], "image": {"repository": "prom/node-exporter"}}, {})
}
