# METADATA
# title: "Read sensitive file trusted after startup"
# description: >-
#   A trusted server program (web, database, docker) reads a sensitive file such as
#   /etc/shadow more than 5 seconds after it started. Servers read such files while starting
#   up, not afterwards. The process age is event.time minus process.start_time.
# custom:
#   id: read_sensitive_file_trusted_after_startup
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.read_sensitive_file_trusted_after_startup

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
	doc.process.name in _server_procs
	macros.sensitive_file(doc.event.path)
	macros.open_read(doc)
	doc.process.name != "sshd"
	macros.proc_duration_ns(doc) > _new_process_ns
	msg := sprintf("Sensitive file opened for reading by trusted program after startup (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

# Falco's proc_is_new: younger than 5 seconds.
_new_process_ns := 5000000000

_server_procs := union({lists.http_server_binaries, lists.db_server_binaries, lists.docker_binaries, {"sshd"}})
