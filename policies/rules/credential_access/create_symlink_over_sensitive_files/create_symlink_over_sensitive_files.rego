# METADATA
# title: "Create Symlink Over Sensitive Files"
# description: >-
#   A symbolic link was created whose target is a sensitive file (/etc/shadow, /etc/sudoers,
#   ...) or a sensitive directory (/, /etc, /root).
# custom:
#   id: create_symlink_over_sensitive_files
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"]
#   syscalls: [symlink, symlinkat]
package bpfopa.rules.create_symlink_over_sensitive_files

import data.bpfopa.lib.lists
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in {"symlink", "symlinkat"}
	target := object.get(input.event, ["paths", "oldname"], input.event.params.oldname)
	target in (lists.sensitive_file_names | lists.sensitive_directory_names)
	msg := sprintf("Symlinks created over sensitive files (target=%s linkpath=%s)", [target, object.get(input.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}
