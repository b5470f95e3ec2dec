# METADATA
# title: "Read sensitive file untrusted"
# description: >-
#   A program outside the known trusted set (user management, sudo, package managers, cron,
#   shells, HIDS, ...) successfully opened a sensitive file such as /etc/shadow or a file
#   below /etc/pam.d for reading.
# custom:
#   id: read_sensitive_file_untrusted
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.read_sensitive_file_untrusted

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
	startswith(doc.event.path, "/etc/") # every sensitive file is below /etc (lists_test.rego)
	macros.sensitive_file(doc.event.path)
	macros.open_read(doc)
	macros.proc_name_exists(doc)
	not doc.process.name in _trusted_readers
	not _known_reader(doc)
	msg := sprintf("Sensitive file opened for reading by non-trusted program (file=%s gparent=%s)", [doc.event.path, object.get(doc.process, ["ancestors", 0, "name"], "<NA>")])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_trusted_readers := union({
	lists.user_mgmt_binaries, lists.userexec_binaries, lists.package_mgmt_binaries,
	lists.cron_binaries, lists.read_sensitive_file_binaries, lists.shell_binaries,
	lists.hids_binaries, lists.vpn_binaries, lists.mail_config_binaries,
	lists.nomachine_binaries, lists.sshkit_script_binaries, lists.postgres_mgmt_binaries,
	{"in.proftpd", "mandb", "salt-call", "salt-minion", "google_oslogin_"},
})

_known_cmdline_prefixes := {
	"perl /opt/psa/admin/bin/plesk_agent_manager", "perl /usr/bin/updmap",
	"perl /opt/VRTSsfmh/bin/mh_driver.pl", "perl /usr/share/centrifydc",
}

# cmp_cp_by_passwd
_known_reader(doc) if {
	doc.process.name in {"cmp", "cp"}
	doc.process.parent.name in {"passwd", "run-parts"}
}

# ansible_running_python
_known_reader(doc) if {
	doc.process.name in {"python", "pypy", "python3"}
	contains(doc.process.cmdline, "ansible")
}

# run_by_qualys, run_by_chef, run_by_google_accounts_daemon
_known_reader(doc) if {
	some n in numbers.range(1, 4)
	name := macros.aname(doc, n)
	_known_agent(name)
}

_known_reader(doc) if {
	some prefix in _known_cmdline_prefixes
	startswith(doc.process.cmdline, prefix)
}

# mandb_postinst
_known_reader(doc) if {
	doc.process.name == "perl"
	args := macros.args_string(doc)
	startswith(args, "-e")
	every part in ["@pwd = getpwnam(", "exec ", "/usr/bin/mandb"] {
		contains(args, part)
	}
}

# runuser_reading_pam
_known_reader(doc) if {
	doc.process.name == "runuser"
	macros.dirname(doc.event.path) == "/etc/pam.d"
}

_known_agent(name) if name in {"qualys-cloud-ag", "chef_command_wr", "chef-client"}

_known_agent(name) if startswith(name, "google_accounts")
