# METADATA
# title: "Run shell untrusted"
# description: >-
#   A shell was spawned below a program that should never run shells: web, database, NoSQL
#   and mail servers (any ancestor), or a Java server recognised by its parent's command
#   line. This is the classic sign of remote code execution.
# custom:
#   id: run_shell_untrusted
#   priority: NOTICE
#   tags: ["maturity_stable", "host", "container", "process", "shell", "mitre_execution", "T1059.004"]
#   syscalls: [execve, execveat]
package bpfopa.rules.run_shell_untrusted

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
	doc.process.name in lists.shell_binaries
	macros.spawned_process(doc)
	is_string(doc.process.parent.name)
	_protected_shell_spawner(doc)
	not macros.pname(doc) in lists.shell_spawn_allowed_parents
	not doc.process.cmdline in lists.known_shell_spawn_cmdlines
	not _known_script(doc)
	not _run_by_package_mgmt(doc)
	msg := sprintf("Shell spawned by untrusted binary (parent_exe=%s pcmdline=%s)", [doc.process.parent.exe, doc.process.parent.cmdline])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_protected_shell_spawner(doc) if {
	some name in macros.ancestor_names(doc)
	name in lists.protected_shell_spawning_binaries
}

_protected_shell_spawner(doc) if {
	endswith(doc.process.parent.exe, "java")
	some marker in lists.protected_java_markers
	contains(doc.process.parent.cmdline, marker)
}

_run_by_package_mgmt(doc) if {
	some name in macros.ancestor_names(doc)
	name in (lists.package_mgmt_binaries | {"needrestart", "unicorn_launche"})
}

# Scripts Falco's tuning allows by command line (consul, nginx, serf, kill -0).
_known_script_prefixes := {
	"sh -c curl", "sh -c nc", "sh -c /bin/consul-alerts", "sh -c /usr/local/bin/aws s3 cp",
	"sh -c serf", "sh -c kill -0 ",
}

_known_script(doc) if {
	some prefix in _known_script_prefixes
	startswith(doc.process.cmdline, prefix)
}
