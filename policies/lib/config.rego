# METADATA
# title: Rule switches
# description: >-
#   Which rules run. A rule whose METADATA says `custom.enabled: false` (a rule Falco ships
#   with `enabled: false`) is off unless data.bpfopa.config.enabled_rules names it; every other
#   rule is on. (data.bpfopa.exceptions.disabled_rules then turns any rule off.)
package bpfopa.lib.config

import data.bpfopa.lib.result

# custom.enabled of the rule whose rego.metadata.chain() this is (true when absent).
enabled_by_default(chain) := object.get(result.rule_annotations(chain).custom, "enabled", true)

# The ids data.bpfopa.config.enabled_rules switches on (a malformed value switches none).
enabled_rules(config) := {id | some id in config.enabled_rules; is_string(id)} if is_array(config.enabled_rules)

else := set()
