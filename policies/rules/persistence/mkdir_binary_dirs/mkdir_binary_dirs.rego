# METADATA
# title: "Mkdir binary dirs"
# description: >-
#   A directory was created below /bin, /sbin, /usr/bin or /usr/sbin by a program that is
#   not a package manager.
# custom:
#   id: mkdir_binary_dirs
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_persistence", "T1222.002"]
#   syscalls: [mkdir, mkdirat]
package bpfopa.rules.mkdir_binary_dirs

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in macros.mkdir_syscalls
	macros.below_bin_dir(input.event.path)
	not macros.package_mgmt_procs(input)
	not macros.exe_running_docker_save(input)
	msg := sprintf("Directory below known binary directory created (directory=%s)", [input.event.path])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
