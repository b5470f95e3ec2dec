# METADATA
# title: "Write below binary dir"
# description: >-
#   A program other than a package manager opened a file directly in /bin, /sbin, /usr/bin
#   or /usr/sbin for writing.
# custom:
#   id: write_below_binary_dir
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "T1543"]
#   syscalls: [open, openat, openat2]
package bpfopa.rules.write_below_binary_dir

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	macros.in_bin_dir(input.event.path)
	macros.open_write(input)
	not macros.package_mgmt_procs(input)
	not macros.exe_running_docker_save(input)
	not macros.python_running_get_pip(input)
	not macros.python_running_ms_oms(input)
	msg := sprintf("File below a known binary directory opened for writing (file=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
