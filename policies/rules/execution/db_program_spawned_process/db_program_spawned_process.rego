# METADATA
# title: "DB program spawned process"
# description: >-
#   A database server (mysqld, postgres, sqlplus) started a program other than itself, which
#   often follows an SQL injection.
# custom:
#   id: db_program_spawned_process
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "process", "database", "mitre_execution", "T1190"]
#   syscalls: [execve, execveat]
package bpfopa.rules.db_program_spawned_process

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
	macros.pname(doc) in lists.db_server_binaries
	macros.spawned_process(doc)
	not doc.process.name in lists.db_server_binaries
	not macros.postgres_running_wal_e(doc)
	msg := "Database-related program spawned process other than itself"
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}
