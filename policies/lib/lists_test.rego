package bpfopa.lib.lists_test

import data.bpfopa.lib.lists
import data.bpfopa.lib.macros

test_user_mgmt_binaries_is_the_union_of_its_parts if {
	lists.user_mgmt_binaries == (lists.login_binaries | lists.passwd_binaries) | lists.shadowutils_binaries
}

test_package_mgmt_binaries_is_the_union_of_its_parts if {
	lists.package_mgmt_binaries == (lists.rpm_binaries | lists.deb_binaries) | (lists.python_package_managers | {
		"update-alternat", "gem", "npm", "sane-utils.post", "alternatives", "chef-client", "apk",
		"snapd",
	})
}

test_protected_shell_spawning_binaries_is_the_union_of_its_parts if {
	lists.protected_shell_spawning_binaries == ((lists.http_server_binaries | lists.db_server_binaries) | (lists.nosql_server_binaries | lists.mail_binaries)) | {
		"fluentd", "flanneld", "splunkd", "consul", "smbd", "runsv", "PM2",
	}
}

test_shell_spawn_allowed_parents_is_the_union_of_its_parts if {
	lists.shell_spawn_allowed_parents == ((lists.shell_binaries | lists.gitlab_binaries) | (lists.cron_binaries | lists.needrestart_binaries)) | {
		"mesos-docker-ex", "mesos-slave", "mesos-health-ch", "erl_child_setup", "exechealthz",
		"PM2", "PassengerWatchd", "c_rehash", "svlogd", "logrotate", "hhvm", "serf",
		"lb-controller", "nvidia-installe", "runsv", "statsite", "erlexec", "calico-node",
		"puma reactor",
	}
}

test_setns_allowed_procs_is_the_union_of_its_parts if {
	lists.setns_allowed_procs == (lists.sysdigcloud_binaries | lists.network_plugin_binaries) | (lists.user_known_change_thread_namespace_binaries | {
		"sysdig", "calico", "oci-umount", "cilium-cni",
	})
}

test_setns_allowed_parents_is_the_union_of_its_parts if {
	lists.setns_allowed_parents == lists.sysdigcloud_binaries | {"hyperkube", "kubelet", "protokube", "dockerd", "tini", "aws"}
}

test_expected_udp_ports_is_the_union_of_its_parts if {
	lists.expected_udp_ports == (lists.openvpn_udp_ports | lists.l2tp_udp_ports) | {53, 8125, 123, 0, 9, 80, 3306}
}

# Rules test these cheap conditions before the exact list lookups; a list entry outside
# them would make the rules miss it.
test_sensitive_files_are_below_etc if {
	every path in lists.sensitive_file_names {
		startswith(path, "/etc/")
	}
	every dir in lists.sensitive_directories {
		startswith(dir, "/etc/")
	}
}

test_shell_config_files_pass_the_cheap_test if {
	every name in lists.shell_config_filenames {
		macros.maybe_shell_config_file(concat("/", ["/home/alice", name]))
		macros.maybe_shell_config_file(name)
	}
	every path in lists.shell_config_files {
		macros.maybe_shell_config_file(path)
	}
	every dir in lists.shell_config_directories {
		macros.maybe_shell_config_file(concat("/", [dir, "zshrc"]))
	}
	not macros.maybe_shell_config_file("/usr/lib/libc.so.6")
}

test_bin_dirs_pass_the_cheap_test if {
	every dir in lists.bin_dirs {
		macros.maybe_in_bin_dir(concat("/", [dir, "x"]))
	}
	not macros.maybe_in_bin_dir("/usr/lib/x")
}

test_monitored_and_repository_directories_roots if {
	every dir in lists.monitored_directories {
		regex.match(`^/(boot|lib|lib64|usr|root|home)/`, concat("/", [dir, "x"]))
	}
	every dir in lists.repository_directories {
		startswith(dir, "/etc/")
	}
}
