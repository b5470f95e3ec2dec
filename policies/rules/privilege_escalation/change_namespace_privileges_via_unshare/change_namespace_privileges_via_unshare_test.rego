package bpfopa.rules.change_namespace_privileges_via_unshare_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.change_namespace_privileges_via_unshare

_unshare(overrides) := testing.syscall("unshare", object.union({"event": {"params": {"unshare_flags": 268435456}}}, overrides))

test_alerts_unprivileged_in_container if {
	found := change_namespace_privileges_via_unshare.alerts with input as _unshare(testing.in_container)
	count(found) == 1
	some alert in found
	alert.rule == "Change namespace privileges via unshare"
	alert.id == "change_namespace_privileges_via_unshare"
	contains(alert.output, "res=0")
}

test_alerts_failed_call_in_container if {
	found := change_namespace_privileges_via_unshare.alerts with input as _unshare(object.union(testing.in_container, {"event": {"ret": -1, "error": "EPERM"}}))
	count(found) == 1
	some alert in found
	alert.rule == "Change namespace privileges via unshare"
	alert.id == "change_namespace_privileges_via_unshare"
}

test_no_alert_with_cap_sys_admin if {
	count(change_namespace_privileges_via_unshare.alerts) == 0 with input as _unshare(object.union(testing.in_container, {"process": {"cap_effective": ["CAP_SYS_ADMIN"]}}))
}

test_no_alert_permitted_cap_sys_admin if {
	count(change_namespace_privileges_via_unshare.alerts) == 0 with input as _unshare(object.union(testing.in_container, {"process": {"cap_permitted": ["CAP_SYS_ADMIN"]}}))
}

test_no_alert_on_host if {
	count(change_namespace_privileges_via_unshare.alerts) == 0 with input as _unshare({})
}
