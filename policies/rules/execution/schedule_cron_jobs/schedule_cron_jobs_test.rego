package bpfopa.rules.schedule_cron_jobs_test

import data.bpfopa.lib.testing
import data.bpfopa.rules.schedule_cron_jobs

test_alerts_write_cron_d if {
	doc := testing.open("/etc/cron.d/evil", 577, {"process": {"name": "bash", "exe": "/usr/bin/bash", "args": [], "argv0": "bash", "cmdline": "bash"}})
	found := schedule_cron_jobs.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Schedule Cron Jobs"
	alert.id == "schedule_cron_jobs"
}

test_alerts_crontab if {
	doc := testing.exec({"process": {"name": "crontab", "exe": "/usr/bin/crontab", "args": ["-e"], "argv0": "crontab", "cmdline": "crontab -e"}})
	found := schedule_cron_jobs.alerts with input as doc
	count(found) == 1
	some alert in found
	alert.rule == "Schedule Cron Jobs"
	alert.id == "schedule_cron_jobs"
}

test_no_alert_read_cron_d if {
	doc := testing.open("/etc/cron.d/evil", 0, {"process": {"name": "cat", "exe": "/usr/bin/cat", "args": [], "argv0": "cat", "cmdline": "cat"}})
	count(schedule_cron_jobs.alerts) == 0 with input as doc
}

test_no_alert_crontab_failed if {
	doc := testing.exec({"process": {"name": "crontab", "exe": "/usr/bin/crontab", "args": ["-e"], "argv0": "crontab", "cmdline": "crontab -e"}, "event": {"ret": -13, "error": "EACCES"}})
	count(schedule_cron_jobs.alerts) == 0 with input as doc
}
