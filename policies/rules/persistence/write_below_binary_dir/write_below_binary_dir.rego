# METADATA
# title: "Write below binary dir"
# description: >-
#   A program other than a package manager opened a file directly in /bin, /sbin, /usr/bin
#   or /usr/sbin for writing.
# custom:
#   id: write_below_binary_dir
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "T1543"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.write_below_binary_dir

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
	macros.maybe_in_bin_dir(doc.event.path)
	macros.in_bin_dir(doc.event.path)
	macros.open_write(doc)
	not macros.package_mgmt_procs(doc)
	not macros.exe_running_docker_save(doc)
	not macros.python_running_get_pip(doc)
	not macros.python_running_ms_oms(doc)
	msg := sprintf("File below a known binary directory opened for writing (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
