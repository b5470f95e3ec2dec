package bpfopa.rules.write_below_etc_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.write_below_etc

_write(path, overrides) := testing.open(path, 577, overrides) # O_WRONLY|O_CREAT|O_TRUNC

test_alerts_tee_etc_file if {
	found := write_below_etc.alerts with input as _write("/etc/falco-test", {"process": {"name": "tee"}})
	count(found) == 1
	some alert in found
	alert.rule == "Write below etc"
	alert.id == "write_below_etc"
	contains(alert.output, "file=/etc/falco-test pcmdline=bash gparent=tmux")
}

test_alerts_sshd_config if {
	found := write_below_etc.alerts with input as _write("/etc/ssh/sshd_config", {"process": {"name": "python3"}})
	count(found) == 1
	some alert in found
	alert.rule == "Write below etc"
	alert.id == "write_below_etc"
}

test_no_alert_read if {
	count(write_below_etc.alerts) == 0 with input as testing.open("/etc/passwd", 0, {})
}

test_no_alert_package_manager if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/hosts", {"process": {"name": "dpkg"}})
}

test_no_alert_passwd_tool if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/shadow+", {"process": {"name": "useradd"}})
}

test_no_alert_below_dpkg if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/x.conf", {"process": {"name": "cp", "parent": {"name": "dpkg"}}})
}

test_no_alert_safe_dir if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/nginx/conf.d/site.conf", {"process": {"name": "tee"}})
}

test_no_alert_motd if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/motd", {"process": {"name": "tee"}})
}

test_no_alert_known_program if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/sed8Xz1", {"process": {"name": "sed"}})
}

test_no_alert_known_ancestor if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/x.conf", {"process": {"name": "cp", "ancestors": [{"name": "dpkg-reconfigur"}]}})
}

test_no_alert_nameless_process if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/x.conf", {"process": {"name": ""}})
}

test_no_alert_network_manager_resolv_conf if {
	doc := _write("/etc/resolv.conf", {"process": {"name": "cp", "ancestors": [{"name": "nm-dispatcher"}]}})
	count(write_below_etc.alerts) == 0 with input as doc
}

test_no_alert_ucf_below_frontend if {
	doc := _write("/etc/x.conf", {"process": {"name": "cp", "parent": {"name": "ucf"}, "ancestors": [{"name": "frontend"}]}})
	count(write_below_etc.alerts) == 0 with input as doc
}

test_no_alert_ansible if {
	doc := _write("/etc/x.conf", {"process": {"name": "python3", "cmdline": "python3 /tmp/ansible_x/AnsiballZ_copy.py"}})
	count(write_below_etc.alerts) == 0 with input as doc
}

test_no_alert_chef if {
	count(write_below_etc.alerts) == 0 with input as _write("/etc/x.conf", {"process": {"name": "chef-client"}})
}
