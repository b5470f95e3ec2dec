# METADATA
# title: "Mkdir binary dirs"
# description: >-
#   A directory was created below /bin, /sbin, /usr/bin or /usr/sbin by a program that is
#   not a package manager.
# custom:
#   id: mkdir_binary_dirs
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "T1222.002"]
#   syscalls: [mkdir, mkdirat]
package bpfopa.rules.mkdir_binary_dirs

import data.bpfopa.lib.config
import data.bpfopa.lib.events
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
	doc.event.name in macros.mkdir_syscalls
	macros.below_bin_dir(doc.event.path)
	not macros.package_mgmt_procs(doc)
	not macros.exe_running_docker_save(doc)
	msg := sprintf("Directory below known binary directory created (directory=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
