# METADATA
# title: "Write below monitored dir"
# description: >-
#   A file in a monitored directory (/boot, /lib, /usr/local/bin, /root/.ssh, users' ~/.ssh,
#   ...) was opened for writing by a program that is not a package manager.
# custom:
#   id: write_below_monitored_dir
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "T1543"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.write_below_monitored_dir

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
	regex.match(`^/(boot|lib|lib64|usr|root|home)/`, doc.event.path) # _monitored_dir's roots (lists_test.rego)
	macros.open_write(doc)
	_monitored_dir(doc)
	not macros.package_mgmt_procs(doc)
	not macros.exe_running_docker_save(doc)
	not macros.python_running_get_pip(doc)
	not macros.python_running_ms_oms(doc)
	not _known_ssh_writer(doc)
	msg := sprintf("File below a monitored directory opened for writing (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_monitored_dir(doc) if {
	macros.dirname(doc.event.path) in lists.monitored_directories
	not _mkinitramfs_writing_boot(doc)
}

_monitored_dir(doc) if macros.user_ssh_directory(doc.event.path)

_mkinitramfs_writing_boot(doc) if {
	doc.process.parent.name in {"mkinitramfs", "update-initramf"}
	macros.dirname(doc.event.path) == "/boot"
}

# coreos_write_ssh_dir, google_accounts_daemon_writing_ssh, cloud_init_writing_ssh
_known_ssh_writer(doc) if {
	doc.process.name == "update-ssh-keys"
	startswith(doc.event.path, "/home/core/.ssh")
}

_known_ssh_writer(doc) if {
	doc.process.name in {"google_accounts", "cloud-init"}
	macros.user_ssh_directory(doc.event.path)
}
