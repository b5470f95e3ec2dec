# METADATA
# title: "Run shell untrusted"
# description: >-
#   A shell was spawned below a program that should never run shells: web, database, NoSQL
#   and mail servers (any ancestor), or a Java server recognised by its parent's command
#   line. This is the classic sign of remote code execution.
# custom:
#   id: run_shell_untrusted
#   priority: NOTICE
#   tags: ["maturity_stable", "host", "container", "process", "shell", "mitre_execution", "T1059.004"]
#   syscalls: [execve, execveat]
package bpfopa.rules.run_shell_untrusted

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.process.name in lists.shell_binaries
	macros.spawned_process(input)
	is_string(input.process.parent.name)
	_protected_shell_spawner(input)
	not macros.pname(input) in lists.shell_spawn_allowed_parents
	not input.process.cmdline in lists.known_shell_spawn_cmdlines
	not _known_script(input)
	not _run_by_package_mgmt(input)
	msg := sprintf("Shell spawned by untrusted binary (parent_exe=%s pcmdline=%s)", [input.process.parent.exe, input.process.parent.cmdline])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_protected_shell_spawner(doc) if {
	some name in macros.ancestor_names(doc)
	name in lists.protected_shell_spawning_binaries
}

_protected_shell_spawner(doc) if {
	endswith(doc.process.parent.exe, "java")
	some marker in lists.protected_java_markers
	contains(doc.process.parent.cmdline, marker)
}

_run_by_package_mgmt(doc) if {
	some name in macros.ancestor_names(doc)
	name in (lists.package_mgmt_binaries | {"needrestart", "unicorn_launche"})
}

# Scripts Falco's tuning allows by command line (consul, nginx, serf, kill -0).
_known_script_prefixes := {
	"sh -c curl", "sh -c nc", "sh -c /bin/consul-alerts", "sh -c /usr/local/bin/aws s3 cp",
	"sh -c serf", "sh -c kill -0 ",
}

_known_script(doc) if {
	some prefix in _known_script_prefixes
	startswith(doc.process.cmdline, prefix)
}
