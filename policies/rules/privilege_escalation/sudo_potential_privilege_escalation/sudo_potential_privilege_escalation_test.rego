package bpfopa.rules.sudo_potential_privilege_escalation_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.sudo_potential_privilege_escalation

_sudo(name, args, loginuid) := testing.exec({"process": {
	"name": name, "exe": concat("/", ["/usr/bin", name]), "args": args, "argv0": name,
	"cmdline": concat(" ", array.concat([name], args)), "loginuid": loginuid,
}})

test_alerts_sudoedit_shell_backslash if {
	found := sudo_potential_privilege_escalation.alerts with input as _sudo("sudoedit", ["-s", `\`], 1000)
	count(found) == 1
	some alert in found
	alert.rule == "Sudo Potential Privilege Escalation"
	alert.id == "sudo_potential_privilege_escalation"
}

test_alerts_sudo_login_escaped_space if {
	found := sudo_potential_privilege_escalation.alerts with input as _sudo("sudo", ["--login", `a\ b`], 1000)
	count(found) == 1
	some alert in found
	alert.rule == "Sudo Potential Privilege Escalation"
	alert.id == "sudo_potential_privilege_escalation"
}

test_no_alert_no_backslash if {
	count(sudo_potential_privilege_escalation.alerts) == 0 with input as _sudo("sudoedit", ["-s", "/etc/hosts"], 1000)
}

test_no_alert_no_shell_option if {
	count(sudo_potential_privilege_escalation.alerts) == 0 with input as _sudo("sudoedit", [`x\`], 1000)
}

test_no_alert_root_login if {
	count(sudo_potential_privilege_escalation.alerts) == 0 with input as _sudo("sudoedit", ["-s", `\`], 0)
}
