# METADATA
# title: "Contact EC2 Instance Metadata Service From Container"
# description: >-
#   A container connected to the cloud instance metadata address 169.254.169.254, where
#   instance credentials can be read.
# custom:
#   id: contact_ec2_instance_metadata_service_from_container
#   priority: NOTICE
#   tags: ["maturity_incubating", "network", "aws", "container", "mitre_credential_access", "T1552.005"]
#   syscalls: [connect, sendto, sendmsg]
package bpfopa.rules.contact_ec2_instance_metadata_service_from_container

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.outbound(input)
	macros.remote(input).address == lists.cloud_metadata_address
	macros.container(input)
	msg := "Outbound connection to EC2 instance metadata service"
	alert := result.alert(rego.metadata.chain(), input, msg)
}
