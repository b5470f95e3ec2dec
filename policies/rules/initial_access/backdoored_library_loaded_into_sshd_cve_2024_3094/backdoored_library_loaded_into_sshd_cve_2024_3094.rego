# METADATA
# title: "Backdoored library loaded into SSHD (CVE-2024-3094)"
# description: >-
#   sshd opened one of the backdoored xz releases of liblzma (5.6.0, 5.6.1).
# custom:
#   id: backdoored_library_loaded_into_sshd_cve_2024_3094
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "mitre_initial_access", "T1556"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.backdoored_library_loaded_into_sshd_cve_2024_3094

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
	doc.process.name == "sshd"
	some version in lists.backdoored_liblzma_versions
	contains(doc.event.path, version)
	macros.open_read(doc)
	msg := sprintf("SSHD loaded a backdoored version of liblzma library (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
