# METADATA
# title: "Modify binary dirs"
# description: >-
#   A file below /bin, /sbin, /usr/bin or /usr/sbin was renamed or removed by a program that
#   is not a package manager.
# custom:
#   id: modify_binary_dirs
#   priority: ERROR
#   tags: ["maturity_sandbox", "host", "container", "filesystem", "mitre_defense_evasion", "T1222.002"]
#   syscalls: [rename, renameat, renameat2, rmdir, unlink, unlinkat]
package bpfopa.rules.modify_binary_dirs

import data.bpfopa.lib.macros
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in macros.modify_syscalls
	paths := [path | some path in macros.event_paths(input); macros.below_bin_dir(path)]
	count(paths) > 0
	not macros.package_mgmt_procs(input)
	not macros.exe_running_docker_save(input)
	msg := sprintf("File below known binary directory renamed/removed (files=%s)", [concat(",", paths)])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
