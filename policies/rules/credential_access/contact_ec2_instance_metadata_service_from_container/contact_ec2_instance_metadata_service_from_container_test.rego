package bpfopa.rules.contact_ec2_instance_metadata_service_from_container_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.contact_ec2_instance_metadata_service_from_container

test_alerts_imds_from_container if {
	doc := testing.connect("169.254.169.254", 80, object.union(testing.in_container, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}}))
	found := contact_ec2_instance_metadata_service_from_container.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Contact EC2 Instance Metadata Service From Container"
	alert.id == "contact_ec2_instance_metadata_service_from_container"
}

test_no_alert_imds_from_host if {
	doc := testing.connect("169.254.169.254", 80, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}})
	count(contact_ec2_instance_metadata_service_from_container.alerts) == 0 with input as doc
}

test_no_alert_other_peer if {
	doc := testing.connect("93.184.216.34", 80, object.union(testing.in_container, {"process": {"name": "curl", "exe": "/usr/bin/curl", "args": [], "argv0": "curl", "cmdline": "curl"}}))
	count(contact_ec2_instance_metadata_service_from_container.alerts) == 0 with input as doc
}
