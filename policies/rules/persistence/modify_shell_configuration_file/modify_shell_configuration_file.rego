# METADATA
# title: "Modify Shell Configuration File"
# description: >-
#   A program other than a shell opened a shell configuration file (.bashrc, .profile,
#   /etc/profile, ...) for writing: a way to run code at every login.
# custom:
#   id: modify_shell_configuration_file
#   priority: WARNING
#   tags: ["maturity_incubating", "host", "container", "filesystem", "mitre_persistence", "T1546.004"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.modify_shell_configuration_file

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.shell_config_file(input.event.path)
	macros.open_write(input)
	not macros.shell_procs(input)
	not macros.exe_running_docker_save(input)
	msg := sprintf("A shell configuration file has been modified (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
