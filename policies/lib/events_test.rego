package bpfopa.lib.events_test

import data.bpfopa.lib.events
import data.bpfopa.lib.lists
import data.bpfopa.lib.testing

# The shared prefilter in events.by_syscall drops the opens and execs no rule can flag.
# Every entry of the lists the rules match must pass it, so that extending a list cannot
# silently disable a rule; each rule's own tests also go through it (batch_alerts reads
# events.by_syscall).

# The document, alone in a batch, is handed to its syscall's rules.
_passes(doc) if events.by_syscall[doc.event.name] == [0] with input as {"events": [doc]}

_read(path) := testing.open(path, 0, {})

_write(path) := testing.open(path, 577, {}) # O_WRONLY|O_CREAT|O_TRUNC

_paths_below(dirs) := {concat("/", [dir, "x"]) | some dir in dirs}

test_open_paths_any_mode if {
	paths := union({
		lists.sensitive_file_names, _paths_below(lists.sensitive_directories),
		{concat("/", ["/home/alice", name]) | some name in lists.shell_config_filenames},
		lists.shell_config_filenames, lists.shell_config_files,
		_paths_below(lists.shell_config_directories),
		{"/home/alice/.ssh/id_rsa", "/root/.ssh", "/root/.bash_history", "/dev/sdz"},
	})
	every path in paths {
		_passes(_read(path))
		_passes(_write(path))
	}
}

test_open_paths_written if {
	paths := union({
		_paths_below(lists.bin_dirs), _paths_below(lists.monitored_directories),
		_paths_below(lists.repository_directories), _paths_below(lists.log_directories),
		{concat("/", ["/srv/app", name]) | some name in lists.log_files}, lists.log_files,
		{"/home/alice/.ssh/authorized_keys", "/var/lib/rpm/Packages", "/etc/cron.d/job"},
		{"/sys/fs/cgroup/x/release_agent", "/tmp/.hidden", "/etc/crontab"},
	})
	every path in paths {
		_passes(_write(path))
		_passes(testing.open(path, 2, {})) # O_RDWR
		_passes(testing.syscall("openat2", {"event": {"path": path, "params": {"how": {"flags": 1}}}}))
	}
}

test_open_traversal_by_raw_path if {
	_passes(testing.open("/etc/hosts", 0, {"event": {"params": {"filename": "../../etc/hosts"}}}))
	_passes(testing.open("/etc/hosts", 0, {"event": {"ret": -2, "params": {"filename": "a/../../etc/hosts"}}}))
}

test_ordinary_opens_are_dropped if {
	every path in ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/status", "/usr/bin/ls"] {
		not _passes(_read(path))
	}
	every path in ["/tmp/work.txt", "/var/lib/app/data.db", "/etc/hosts.new"] {
		not _passes(_write(path))
	}
}

test_exec_process_names if {
	every names in [
		lists.grep_binaries, lists.network_tool_binaries, lists.http_proxy_binaries,
		lists.shell_binaries, lists.remote_file_copy_binaries, lists.data_remove_commands,
		lists.package_mgmt_binaries, lists.user_mgmt_binaries,
		{"find", "nc", "ncat", "socat", "crontab", "debugfs"},
	] {
		every name in names {
			_passes(testing.exec({"process": {"name": name}}))
		}
	}
}

test_exec_other_conditions if {
	every user in lists.system_users {
		_passes(testing.exec({"process": {"user": user}}))
	}
	every process in [
		{"exe": "/memfd:x (deleted)"}, {"exe": "/dev/shm/x"}, {"cwd": "/dev/shm"},
		{"cwd": "/dev/shm/a"}, {"cmdline": "xmrig -o stratum+tcp://pool:3333"},
		{"exe_upper_layer": true},
	] {
		_passes(testing.exec({"process": process}))
	}
}

test_ordinary_and_failed_execs_are_dropped if {
	not _passes(testing.exec({}))
	not _passes(testing.exec({"process": {"name": "git", "exe": "/usr/bin/git", "cmdline": "git status"}}))
	not _passes(testing.exec({"process": {"name": "bash"}, "event": {"ret": -2, "error": "ENOENT"}}))
}

# The conditions the connect rules' alerts imply (each rule's own alerting tests also pass
# through by_syscall, so a prefilter that dropped them would fail those tests).
test_connect_conditions if {
	every name in lists.interpreted_binaries {
		_passes(testing.connect("93.184.216.34", 443, {"process": {"name": name}}))
	}
	every doc in [
		testing.connect("10.0.0.7", 5353, {"event": {"fd": {"proto": "udp"}}}),
		testing.connect("169.254.169.254", 80, testing.in_container),
		testing.connect("10.0.0.7", 30080, testing.in_container),
		testing.connect("198.51.100.7", 3333, {"event": {"params": {"uservaddr": {"name": "pool.example"}}}}),
		testing.syscall("connect", {"event": {"params": {"addr": {"family": "AF_INET", "address": "198.51.100.7", "port": 3333, "name": "pool.example"}}}}),
		testing.connect("203.0.113.7", 2222, {"process": {"name": "ssh", "exe": "/usr/bin/ssh"}}),
	] {
		_passes(doc)
	}
}

test_ordinary_connects_are_dropped if {
	every doc in [
		testing.connect("93.184.216.34", 443, {}),
		testing.connect("10.0.0.7", 5432, {"event": {"fd": {"proto": "tcp"}}}),
		testing.connect("10.0.0.7", 5432, {"process": {"exe": "/usr/sbin/sshd-session"}}),
		testing.connect("10.0.0.7", 5432, {"event": {"params": {"uservaddr": {"name": null}}}}),
	] {
		not _passes(doc)
	}
}

test_other_syscalls_always_pass if {
	every name in ["close", "setuid", "rename", "creat", "mkdir", "sendto", "accept"] {
		_passes(testing.syscall(name, {}))
	}
}
