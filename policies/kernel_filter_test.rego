package bpfopa.kernel_filter_test

import data.bpfopa.kernel_filter
import data.bpfopa.lib.events
import data.bpfopa.lib.testing

# What the probes keep of an open, as bpfopa/capture/_kfilter.py tells the kernel to decide,
# on a normalised absolute path: the literal tests, nothing else.
_kept(spec, path, _) if _matches(spec.any_mode, path)

_kept(spec, path, flags) if {
	bits.and(flags, 3) in spec.write_access_modes
	_matches(spec.written, path)
}

_matches(literals, path) if {
	some prefix in literals.prefixes
	startswith(path, prefix)
}

_matches(literals, path) if {
	some name in literals.basenames
	endswith(path, concat("/", ["", name]))
}

_matches(literals, path) if {
	some part in literals.substrings
	contains(path, part)
}

_matches(literals, path) if {
	some suffix in literals.suffixes
	endswith(path, suffix)
}

_opens := [
	"/etc/shadow", "/etc/pam.d/sshd", "/root/.ssh/id_rsa", "/home/alice/.bashrc",
	"/home/alice/.zsh_history", "/dev/sdz", "/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/var/log/syslog", "/srv/app/syslog", "/sys/fs/cgroup/x/release_agent", "/etc/cron.d/job",
	"/etc/hosts", "/tmp/notes", "/proc/self/status", "/var/lib/rpm/Packages", "/etc/apt/sources.list",
	"/etc/ld.so.cache", "/usr/share/zoneinfo/UTC", "/opt/app/logs/access.log",
]

# The kernel keeps exactly the opens by_syscall hands to the rules (its literals are by_syscall's).
test_kernel_keeps_what_by_syscall_keeps if {
	spec := kernel_filter.syscalls.openat
	cases := [[path, flags] | some path in _opens; some flags in [0, 1, 2, 577]]
	batch := {"events": [testing.open(path, flags, {}) | some [path, flags] in cases]}
	kept := {i | some i in events.by_syscall.openat} with input as batch
	kept == {i | some i, [path, flags] in cases; _kept(spec, path, flags)}
	count(kept) > 20
	count(kept) < count(cases) - 20
}

test_ordinary_opens_are_filtered if {
	spec := kernel_filter.syscalls.openat
	every path in ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/hosts", "/proc/self/status"] {
		not _kept(spec, path, 0)
	}
	_kept(spec, "/usr/lib/x86_64-linux-gnu/libc.so.6", 577)
}

test_every_open_syscall_is_path_filtered if {
	every name in events.open_syscalls & data.bpfopa.main.syscalls {
		kernel_filter.syscalls[name].filter == "path"
		"read_sensitive_file_untrusted" in kernel_filter.syscalls[name].rules
	}
}

test_other_syscalls_are_not_filtered if {
	kernel_filter.syscalls.execve.filter == "none"
	"run_shell_untrusted" in kernel_filter.syscalls.execve.rules
	kernel_filter.syscalls.connect.filter == "none"
}

test_a_new_rule_is_listed_for_its_syscalls if {
	rules := {"custom_reader": {"syscalls": ["openat"]}}
	"custom_reader" in kernel_filter.syscalls.openat.rules with data.bpfopa.rules as rules
}

# A rule whose opens no path literal describes (lib/events.open_unfiltered_rules) is off by
# default; switched on, the probes must keep every open.
test_opens_unfiltered_while_a_rule_beyond_the_literals_is_on if {
	kernel_filter.syscalls.openat.filter == "path"
	every id in events.open_unfiltered_rules {
		spec := kernel_filter.syscalls.openat with data.bpfopa.config as {"enabled_rules": [id]}
		spec.filter == "none"
		contains(spec.reason, id)
	}
}
