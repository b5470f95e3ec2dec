# METADATA
# title: "Directory traversal monitored file read"
# description: >-
#   Web applications vulnerable to directory traversal read files outside their root. System
#   files below /etc and ssh keys are normally opened by absolute path, so a path that
#   climbs with ../ twice is suspicious. Failed opens count too.
# custom:
#   id: directory_traversal_monitored_file_read
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.directory_traversal_monitored_file_read

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
	_monitored(doc.event.path)
	raw := macros.raw_path(doc)
	regex.match(`\.\./.*\.\./`, raw)
	_reads_or_probes(doc)
	not macros.pname(doc) in lists.shell_binaries
	msg := sprintf("Read monitored file via directory traversal (file=%s fileraw=%s)", [doc.event.path, raw])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_reads_or_probes(doc) if macros.open_read(doc)

_reads_or_probes(doc) if macros.open_file_failed(doc)

_monitored(path) if startswith(path, "/etc/")

_monitored(path) if macros.user_ssh_directory(path)

_monitored(path) if startswith(path, "/root/.ssh")

_monitored(path) if contains(path, "id_rsa")
