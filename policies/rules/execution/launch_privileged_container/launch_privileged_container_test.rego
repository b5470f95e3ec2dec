package bpfopa.rules.launch_privileged_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.launch_privileged_container

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

test_alerts_privileged if {
	found := launch_privileged_container.alerts with input as _start({"privileged": true}, {})
	count(found) == 1
	some alert in found
	alert.rule == "Launch Privileged Container"
	alert.id == "launch_privileged_container"
	contains(alert.output, "container_name=web image=docker.io/library/nginx")
}

test_no_alert_unprivileged if {
	count(launch_privileged_container.alerts) == 0 with input as _start({}, {})
}

test_no_alert_later_process if {
	count(launch_privileged_container.alerts) == 0 with input as _start({"privileged": true}, {"process": {"vpid": 7}})
}

test_no_alert_trusted_image if {
	count(launch_privileged_container.alerts) == 0 with input as _start({"privileged": true, "image": {"repository": "docker.io/calico/node"}}, {})
}

test_no_alert_trusted_prefix if {
	count(launch_privileged_container.alerts) == 0 with input as _start({"privileged": true, "image": {"repository": "quay.io/sysdig/agent"}}, {})
}

test_no_alert_eks_image if {
	count(launch_privileged_container.alerts) == 0 with input as _start({"privileged": true, "image": {"repository": "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni"}}, {})
}

test_no_alert_openshift_image if {
	count(launch_privileged_container.alerts) == 0 with input as _start({"privileged": true, "image": {"repository": "openshift3/ose-node"}}, {})
}

test_no_alert_host_process if {
	count(launch_privileged_container.alerts) == 0 with input as object.union(_start({}, {}), {"process": {"container": null}})
}
