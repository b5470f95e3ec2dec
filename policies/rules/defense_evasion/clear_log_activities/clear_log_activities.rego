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
	regex.match(_log_file_pattern, doc.event.path)
	_log_file(doc.event.path)
	macros.open_write(doc)
	macros.flag_set(doc, macros.o_trunc, "O_TRUNC")
	msg := sprintf("Log files were tampered (file=%s)", [doc.event.path])
	alert := result.alert(_metadata, doc, msg)
}

# The alerts for `input` as ONE document (rule tests, `opa eval -I`).
alerts := {alert | some [_, alert] in found} if {
	found := batch_alerts with input as {"events": [input]}
}

_log_file(path) if macros.dirname(path) in lists.log_directories

_log_file(path) if macros.basename(path) in lists.log_files

# Every path _log_file accepts matches this (one regex instead of dirname and basename for
# each open; lists_test.rego keeps lists.log_directories and lists.log_files inside it).
_log_file_pattern := `^/(var|dev)/log/|(^|/)(syslog|auth\.log|secure|kern\.log|cron|user\.log|dpkg\.log|last\.log|yum\.log|access_log|mysql\.log|mysqld\.log)$`
