package bpfopa.rules.mount_launched_in_privileged_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.mount_launched_in_privileged_container

_mount(args, container) := testing.exec({"process": {
	"name": "mount", "exe": "/usr/bin/mount", "args": args, "argv0": "mount",
	"cmdline": concat(" ", array.concat(["mount"], args)), "container": container,
}})

_privileged := {"id": "41e5c07cc310", "privileged": true, "image": {"repository": "busybox"}, "pod": null}

test_alerts_mount_host_disk if {
	found := mount_launched_in_privileged_container.alerts with input as _mount(["/dev/sda1", "/mnt"], _privileged)
	count(found) == 1
	some alert in found
	alert.rule == "Mount Launched in Privileged Container"
	alert.id == "mount_launched_in_privileged_container"
}

test_no_alert_unprivileged if {
	count(mount_launched_in_privileged_container.alerts) == 0 with input as _mount(["/dev/sda1", "/mnt"], object.union(_privileged, {"privileged": false}))
}

test_no_alert_on_host if {
	count(mount_launched_in_privileged_container.alerts) == 0 with input as _mount(["/dev/sda1", "/mnt"], null)
}

test_no_alert_listing if {
	count(mount_launched_in_privileged_container.alerts) == 0 with input as _mount(["-l"], _privileged)
}

test_no_alert_no_arguments if {
	count(mount_launched_in_privileged_container.alerts) == 0 with input as _mount([], _privileged)
}

test_no_alert_known_csi_driver if {
	count(mount_launched_in_privileged_container.alerts) == 0 with input as _mount(["/dev/sdb", "/x"], object.union(_privileged, {"image": {"repository": "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver"}, "pod": {"namespace": "kube-system"}}))
}
