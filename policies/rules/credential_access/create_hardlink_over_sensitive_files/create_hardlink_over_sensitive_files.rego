# METADATA
# title: "Create Hardlink Over Sensitive Files"
# description: >-
#   A hard link was created to a sensitive file such as /etc/shadow.
# custom:
#   id: create_hardlink_over_sensitive_files
#   priority: WARNING
#   tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"]
#   syscalls: [link, linkat]
package bpfopa.rules.create_hardlink_over_sensitive_files

import data.bpfopa.lib.lists
import data.bpfopa.lib.result

syscalls := result.syscalls(rego.metadata.chain())

alerts contains alert if {
	input.event.name in {"link", "linkat"}
	target := _old_path(input)
	target in lists.sensitive_file_names
	msg := sprintf("Hardlinks created over sensitive files (target=%s linkpath=%s)", [target, object.get(input.event, ["paths", "newname"], "<NA>")])
	alert := result.alert(rego.metadata.chain(), input, msg)
}

_old_path(doc) := path if path := doc.event.paths.oldname

else := doc.event.params.oldname
