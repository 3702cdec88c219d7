# No destroy of a Glow provider that models use: Glow would leave those
# models pointing at a provider id that no longer exists.
#
# The plan counts and names the models under switchboard.model_usage_count
# and switchboard.in_use_by of the change (docs/plan-format.md).
package switchboard.in_use

deny contains result if {
	some rc in input.resource_changes
	rc.type == "glow_provider"
	"delete" in rc.change.actions
	n := object.get(rc.switchboard, "model_usage_count", 0)
	n > 0
	models := object.get(rc.switchboard, "in_use_by", [])
	result := {
		"msg": sprintf("%s would be destroyed while %d models use it (%s): move them to another provider first", [rc.address, n, concat(", ", models)]),
		"address": rc.address,
	}
}

# Any other destroy of a Glow provider is worth a second look.
warn contains result if {
	some rc in input.resource_changes
	rc.type == "glow_provider"
	"delete" in rc.change.actions
	object.get(rc.switchboard, "model_usage_count", 0) == 0
	result := {
		"msg": sprintf("%s (%s) will be destroyed", [rc.address, rc.switchboard.object_name]),
		"address": rc.address,
	}
}
