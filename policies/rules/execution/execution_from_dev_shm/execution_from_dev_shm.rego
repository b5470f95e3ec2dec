# METADATA
# title: "Execution from /dev/shm"
# description: >-
#   A program was executed from /dev/shm, the world-writable memory file system where
#   attackers stash payloads: by path, relative to a /dev/shm working directory, or as a
#   shell script.
# custom:
#   id: execution_from_dev_shm
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "mitre_execution", "T1059.004"]
#   syscalls: [execve, execveat]
package bpfopa.rules.execution_from_dev_shm

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
	macros.spawned_process(doc)
	_from_dev_shm(doc)
	msg := sprintf("File execution detected from /dev/shm (exe=%s cwd=%s)", [doc.process.exe, object.get(doc.process, "cwd", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_from_dev_shm(doc) if startswith(doc.process.exe, "/dev/shm/")

_from_dev_shm(doc) if {
	startswith(doc.process.argv0, "./")
	_in_dev_shm(doc.process.cwd)
}

_from_dev_shm(doc) if {
	_in_dev_shm(doc.process.cwd)
	startswith(macros.args_string(doc), "./")
}

_from_dev_shm(doc) if {
	doc.process.name in lists.shell_binaries # macros.shell_procs, inline
	args := macros.args_string(doc)
	some prefix in {"-c /dev/shm", "-i /dev/shm", "/dev/shm"}
	startswith(args, prefix)
}

_in_dev_shm(cwd) if cwd == "/dev/shm"

_in_dev_shm(cwd) if startswith(cwd, "/dev/shm/")
