# METADATA
# title: "Write below rpm database"
# description: >-
#   A program that is not part of rpm/yum/dnf opened the rpm database below /var/lib/rpm for
#   writing.
# custom:
#   id: write_below_rpm_database
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "software_mgmt", "mitre_persistence", "T1072"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.write_below_rpm_database

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
	startswith(doc.event.path, "/var/lib/rpm")
	macros.open_write(doc)
	not doc.process.name in _rpm_procs
	not _known_python(doc)
	not macros.exe_running_docker_save(doc)
	msg := sprintf("rpm database opened for writing by a non-rpm program (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_rpm_procs := union({lists.rpm_binaries, lists.openscap_rpm_binaries, {"salt-call", "salt-minion"}})

# ansible_running_python, python_running_chef, amazon_linux_running_python_yum
_known_python(doc) if {
	doc.process.name in {"python", "pypy", "python3"}
	some marker in {"ansible", "yum-dump.py", "chef-monitor.py", "import yum;"}
	contains(doc.process.cmdline, marker)
}
