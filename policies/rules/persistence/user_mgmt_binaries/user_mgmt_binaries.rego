# METADATA
# title: "User mgmt binaries"
# description: >-
#   A program that manages users, passwords or groups (useradd, passwd, chage, ...) ran on
#   the host, outside cron, systemd and known management agents. sudo and su are excluded,
#   and so are read-only command lines.
# custom:
#   id: user_mgmt_binaries
#   priority: NOTICE
#   tags: ["maturity_incubating", "host", "container", "users", "software_mgmt", "mitre_persistence", "T1098"]
#   syscalls: [execve, execveat]
package bpfopa.rules.user_mgmt_binaries

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.user_mgmt_binaries
	macros.spawned_process(input)
	not input.process.name in {"su", "sudo", "lastlog", "nologin", "unix_chkpwd"}
	not macros.container(input)
	not macros.pname(input) in (lists.cron_binaries | {"systemd", "systemd.postins", "udev.postinst", "run-parts"})
	not _read_only(input.process.cmdline)
	not _run_by_manager(input)
	msg := sprintf("User management binary command run outside of container (gparent=%s)", [object.get(input.process, ["ancestors", 0, "name"], "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
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
