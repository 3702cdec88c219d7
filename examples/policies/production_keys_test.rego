package switchboard.production_keys_test

import data.switchboard.production_keys

provider(departments, keys) := {"resource_changes": [{
	"address": "glow_provider.p",
	"type": "glow_provider",
	"change": {"actions": ["create"], "before": null, "after": {"departments": departments, "keys": keys}},
}]}

primary := {"vault": "secret/llm/openai#api_key", "version": 3}

secondary := {"vault": "secret/llm/openai#api_key_2", "version": 1}

test_two_keys_in_production_pass if {
	count(production_keys.deny) == 0 with input as provider(["prod"], {"primary": primary, "secondary": secondary})
}

test_one_key_in_production_is_denied if {
	production_keys.deny == {{
		"msg": `glow_provider.p is in the production department "prod" and has keys from 1 secret: production providers need two`,
		"address": "glow_provider.p",
	}} with input as provider(["cs", "prod"], {"primary": primary})
}

test_two_keys_with_one_secret_are_one if {
	other_version := object.union(primary, {"version": 4, "key_id": "key_9"})
	count(production_keys.deny) == 1 with input as provider(["prod"], {"a": primary, "b": other_version})
}

test_other_departments_need_one if {
	count(production_keys.deny) == 0 with input as provider(["cs"], {"primary": primary})
}
