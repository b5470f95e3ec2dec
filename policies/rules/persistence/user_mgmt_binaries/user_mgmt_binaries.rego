# METADATA
# title: "User mgmt binaries"
# description: >-
#   A program that manages users, passwords or groups (useradd, passwd, chage, ...) ran on
#   the host, outside cron, systemd and known management agents. sudo and su are excluded,
#   and so are read-only command lines.
# custom:
#   id: user_mgmt_binaries
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "users", "software_mgmt", "mitre_persistence", "T1098"]
#   syscalls: [execve, execveat]
package bpfopa.rules.user_mgmt_binaries

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
	doc.process.name in lists.user_mgmt_binaries
	macros.spawned_process(doc)
	not doc.process.name in {"su", "sudo", "lastlog", "nologin", "unix_chkpwd"}
	not macros.container(doc)
	not macros.pname(doc) in (lists.cron_binaries | {"systemd", "systemd.postins", "udev.postinst", "run-parts"})
	not _read_only(doc.process.cmdline)
	not _run_by_manager(doc)
	msg := sprintf("User management binary command run outside of container (gparent=%s)", [object.get(doc.process, ["ancestors", 0, "name"], "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_read_only(cmdline) if {
	some prefix in {"passwd -S", "useradd -D", "systemd --version", "chage -l", "chage --list"}
	startswith(cmdline, prefix)
}

# run_by_qualys, run_by_google_accounts_daemon, run_by_yum, run_by_ms_oms
_run_by_manager(doc) if {
	some n in numbers.range(1, 4)
	name := macros.aname(doc, n)
	_manager(name)
}

_manager(name) if name in {"qualys-cloud-ag", "yum"}

_manager(name) if {
	some prefix in {"google_accounts", "omsagent-", "scx-"}
	startswith(name, prefix)
}
