package switchboard.in_use_test

import data.switchboard.in_use

destroy(address, models) := {
	"address": address,
	"type": "glow_provider",
	"change": {"actions": ["delete"], "before": {"name": "Legacy"}, "after": null},
	"switchboard": {"object_name": "Legacy", "model_usage_count": count(models), "in_use_by": models},
}

test_denies_destroying_a_provider_models_use if {
	msgs := in_use.deny with input as {"resource_changes": [destroy("glow_provider.legacy", ["mdl_chat", "mdl_embed"])]}
	msgs == {{
		"msg": "glow_provider.legacy would be destroyed while 2 models use it (mdl_chat, mdl_embed): move them to another provider first",
		"address": "glow_provider.legacy",
	}}
}

test_warns_of_a_destroy_nothing_uses if {
	rc := json.patch(destroy("glow_provider.old", []), [{"op": "remove", "path": "/switchboard/model_usage_count"}])
	count(in_use.deny) == 0 with input as {"resource_changes": [rc]}
	in_use.warn == {{"msg": "glow_provider.old (Legacy) will be destroyed", "address": "glow_provider.old"}} with input as {"resource_changes": [rc]}
}

test_updates_and_gateflow_deletes_pass if {
	update := {"address": "glow_provider.a", "type": "glow_provider", "change": {"actions": ["update"]}, "switchboard": {"model_usage_count": 3}}
	gateflow := {"address": "gateflow_provider.openai", "type": "gateflow_provider", "change": {"actions": ["delete"]}, "switchboard": {}}
	count(in_use.deny) == 0 with input as {"resource_changes": [update, gateflow]}
	count(in_use.warn) == 0 with input as {"resource_changes": [update, gateflow]}
}
