# METADATA
# title: "Unprivileged Delegation of Page Faults Handling to a Userspace Process"
# description: >-
#   A process without root's uid created a userfaultfd, a primitive kernel exploits use to
#   stall the kernel at a chosen page fault.
# custom:
#   id: unprivileged_delegation_of_page_faults_handling_to_a_userspace_process
#   priority: CRITICAL
#   tags: ["maturity_sandbox", "host", "container", "process", "mitre_defense_evasion", "TA0005"]
#   syscalls: [userfaultfd]
package bpfopa.rules.unprivileged_delegation_of_page_faults_handling_to_a_userspace_process

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
	doc.process.uid != 0
	macros.succeeded(doc)
	not doc.process.name in lists.user_known_userfaultfd_processes
	msg := "An userfaultfd syscall was successfully executed by an unprivileged user"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
