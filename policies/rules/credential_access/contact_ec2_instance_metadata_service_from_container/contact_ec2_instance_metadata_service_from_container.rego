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

import data.bpfopa.lib.config
import data.bpfopa.lib.events
import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

# rule, id, priority and tags of every alert of this rule, once per query.
_metadata := result.metadata(rego.metadata.chain())

# custom.enabled of the METADATA (false: off unless data.bpfopa.config.enabled_rules names it).
enabled_by_default := config.enabled_by_default(rego.metadata.chain())

# [index, alert] for each document of the batch input {"events": [doc, ...]} that this rule
# flags. Only the documents of the rule's syscalls are looked at (events.by_syscall).
batch_alerts contains [i, alert] if {
	some name in syscalls
	some i in events.by_syscall[name]
	doc := input.events[i]
	macros.container(doc) # the cheapest tests first (outbound's CIDR tests are the dearest)
	_mentions_metadata_address(doc) # implied by the remote address test, and cheaper
	macros.remote(doc).address == lists.cloud_metadata_address
	macros.outbound(doc)
	msg := "Outbound connection to EC2 instance metadata service"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# macros.remote is a sockaddr argument, else parsed from the fd's name: either holds the
# address.
_mentions_metadata_address(doc) if {
	some key in macros.sockaddr_params
	doc.event.params[key].address == lists.cloud_metadata_address
}

_mentions_metadata_address(doc) if contains(doc.event.fd.name, lists.cloud_metadata_address)
