package bpfopa.rules.db_program_spawned_process_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.db_program_spawned_process

_below(parent, name, cmdline) := testing.exec({"process": {"name": name, "cmdline": cmdline, "parent": {"name": parent}}})

test_alerts_shell_below_mysqld if {
	found := db_program_spawned_process.alerts with input as _below("mysqld", "sh", "sh -c id")
	count(found) == 1
	some alert in found
	alert.rule == "DB program spawned process"
	alert.id == "db_program_spawned_process"
	alert.output == "Database-related program spawned process other than itself"
}

test_alerts_id_below_postgres if {
	found := db_program_spawned_process.alerts with input as _below("postgres", "id", "id")
	count(found) == 1
	some alert in found
	alert.rule == "DB program spawned process"
	alert.id == "db_program_spawned_process"
}

test_no_alert_postgres_below_postgres if {
	count(db_program_spawned_process.alerts) == 0 with input as _below("postgres", "postgres", "postgres: checkpointer")
}

test_no_alert_wal_e if {
	count(db_program_spawned_process.alerts) == 0 with input as _below("postgres", "sh", "sh -c envdir /etc/wal-e.d/env /usr/local/bin/wal-e wal-push x")
}

test_no_alert_other_parent if {
	count(db_program_spawned_process.alerts) == 0 with input as _below("bash", "sh", "sh -c id")
}

test_no_alert_failed_exec if {
	count(db_program_spawned_process.alerts) == 0 with input as object.union(_below("mysqld", "sh", "sh"), {"event": {"ret": -2, "error": "ENOENT"}})
}
