# METADATA
# title: "Read Shell Configuration File"
# description: >-
#   A program other than a shell read a shell configuration file.
# custom:
#   id: read_shell_configuration_file
#   priority: WARNING
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_discovery", "T1546.004"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.read_shell_configuration_file

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.shell_config_file(input.event.path)
	macros.open_read(input)
	not macros.shell_procs(input)
	msg := sprintf("A shell configuration file was read by a non-shell program (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
