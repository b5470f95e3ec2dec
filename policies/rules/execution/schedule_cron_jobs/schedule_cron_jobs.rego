# METADATA
# title: "Schedule Cron Jobs"
# description: >-
#   A cron job was scheduled: a file below /etc/cron* was opened for writing, or crontab was
#   run.
# custom:
#   id: schedule_cron_jobs
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "filesystem", "mitre_execution", "T1053.003"]
#   syscalls: [open, openat, openat2, execve, execveat]
package bpfopa.rules.schedule_cron_jobs

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
	_schedules(doc)
	msg := sprintf("Cron jobs were scheduled to run (file=%s)", [object.get(doc.event, "path", "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_schedules(doc) if {
	startswith(doc.event.path, "/etc/cron")
	macros.open_write(doc)
}

_schedules(doc) if {
	doc.process.name == "crontab"
	macros.spawned_process(doc)
}
