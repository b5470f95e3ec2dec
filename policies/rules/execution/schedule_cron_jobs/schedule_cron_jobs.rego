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

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_schedules(input)
	msg := sprintf("Cron jobs were scheduled to run (file=%s)", [object.get(input.event, "path", "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_schedules(doc) if {
	macros.open_write(doc)
	startswith(doc.event.path, "/etc/cron")
}

_schedules(doc) if {
	macros.spawned_process(doc)
	doc.process.name == "crontab"
}
