package bpfopa.rules.potential_local_privilege_escalation_via_environment_variables_misuse_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.potential_local_privilege_escalation_via_environment_variables_misuse

_with_env(env) := testing.exec({"process": {"name": "su", "exe": "/usr/bin/su", "env": env}})

test_alerts_glibc_tunables if {
	found := potential_local_privilege_escalation_via_environment_variables_misuse.alerts with input as _with_env(["HOME=/home/alice", "AWS_SECRET_ACCESS_KEY=hunter2", "GLIBC_TUNABLES=glibc.tune.hwcaps=x"])
	count(found) == 1
	some alert in found
	alert.rule == "Potential Local Privilege Escalation via Environment Variables Misuse"
	alert.id == "potential_local_privilege_escalation_via_environment_variables_misuse"
	contains(alert.output, "env=GLIBC_TUNABLES=glibc.tune.hwcaps=x")
	not contains(alert.output, "hunter2")
}

test_alerts_lower_case if {
	found := potential_local_privilege_escalation_via_environment_variables_misuse.alerts with input as _with_env(["glibc_tunables=x"])
	count(found) == 1
	some alert in found
	alert.rule == "Potential Local Privilege Escalation via Environment Variables Misuse"
	alert.id == "potential_local_privilege_escalation_via_environment_variables_misuse"
}

test_no_alert_ordinary_environment if {
	count(potential_local_privilege_escalation_via_environment_variables_misuse.alerts) == 0 with input as _with_env(["HOME=/home/alice", "GLIBC=1"])
}

test_no_alert_failed_exec if {
	count(potential_local_privilege_escalation_via_environment_variables_misuse.alerts) == 0 with input as object.union(_with_env(["GLIBC_TUNABLES=x"]), {"event": {"ret": -2, "error": "ENOENT"}})
}
