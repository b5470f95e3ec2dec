# METADATA
# title: "Modify binary dirs"
# description: >-
#   A file below /bin, /sbin, /usr/bin or /usr/sbin was renamed or removed by a program that
#   is not a package manager.
# custom:
#   id: modify_binary_dirs
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_defense_evasion", "T1222.002"]
#   syscalls: [rename, renameat, renameat2, rmdir, unlink, unlinkat]
package bpfopa.rules.modify_binary_dirs

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
	doc.event.name in macros.modify_syscalls
	paths := _bin_paths(doc)
	count(paths) > 0
	not macros.package_mgmt_procs(doc)
	not macros.exe_running_docker_save(doc)
	msg := sprintf("File below known binary directory renamed/removed (files=%s)", [concat(",", paths)])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# A function rather than a comprehension in the rule body, which OPA would index over the
# whole batch.
_bin_paths(doc) := [path | some path in macros.event_paths(doc); macros.below_bin_dir(path)]
