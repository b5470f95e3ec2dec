# METADATA
# title: "Modify Shell Configuration File"
# description: >-
#   A program other than a shell opened a shell configuration file (.bashrc, .profile,
#   /etc/profile, ...) for writing: a way to run code at every login.
# custom:
#   id: modify_shell_configuration_file
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "filesystem", "mitre_persistence", "T1546.004"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.modify_shell_configuration_file

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
	macros.maybe_shell_config_file(doc.event.path)
	macros.shell_config_file(doc.event.path)
	macros.open_write(doc)
	not macros.shell_procs(doc)
	not macros.exe_running_docker_save(doc)
	msg := sprintf("A shell configuration file has been modified (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
