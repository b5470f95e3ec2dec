# METADATA
# title: "Clear Log Activities"
# description: >-
#   A log file below /var/log or a well-known log name was opened for writing with O_TRUNC,
#   erasing it: attackers clear logs to hide their tracks.
# custom:
#   id: clear_log_activities
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_defense_evasion", "T1070", "NIST_800-53_AU-10"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.clear_log_activities

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	_log_file(input.event.path)
	macros.open_write(input)
	macros.flag_set(input, macros.o_trunc, "O_TRUNC")
	msg := sprintf("Log files were tampered (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_log_file(path) if macros.dirname(path) in lists.log_directories

_log_file(path) if macros.basename(path) in lists.log_files
