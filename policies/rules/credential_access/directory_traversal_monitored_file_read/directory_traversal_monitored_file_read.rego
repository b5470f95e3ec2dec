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

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_reads_or_probes(input)
	_monitored(input.event.path)
	raw := macros.raw_path(input)
	regex.match(`\.\./.*\.\./`, raw)
	not macros.pname(input) in lists.shell_binaries
	msg := sprintf("Read monitored file via directory traversal (file=%s fileraw=%s)", [input.event.path, raw])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_reads_or_probes(doc) if macros.open_read(doc)

_reads_or_probes(doc) if macros.open_file_failed(doc)

_monitored(path) if startswith(path, "/etc/")

_monitored(path) if macros.user_ssh_directory(path)

_monitored(path) if startswith(path, "/root/.ssh")

_monitored(path) if contains(path, "id_rsa")
