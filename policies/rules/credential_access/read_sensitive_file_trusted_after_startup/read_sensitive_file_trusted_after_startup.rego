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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.sensitive_file(input.event.path)
	input.process.name in _server_procs
	macros.open_read(input)
	input.process.name != "sshd"
	macros.proc_duration_ns(input) > _new_process_ns
	msg := sprintf("Sensitive file opened for reading by trusted program after startup (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

# Falco's proc_is_new: younger than 5 seconds.
_new_process_ns := 5000000000

_server_procs := union({lists.http_server_binaries, lists.db_server_binaries, lists.docker_binaries, {"sshd"}})
