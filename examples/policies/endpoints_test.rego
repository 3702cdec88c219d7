package switchboard.endpoints_test

import data.switchboard.endpoints

provider(endpoints) := {"resource_changes": [{
	"address": "glow_provider.p",
	"type": "glow_provider",
	"change": {"actions": ["create"], "before": null, "after": {"endpoints": endpoints}},
}]}

test_allowed_hosts_pass if {
	count(endpoints.deny) == 0 with input as provider(["https://api.openai.com/v1", "https://API.anthropic.com", "https://api.mistral.ai:443/v1?x=1"])
}

test_other_hosts_and_schemes_are_denied if {
	denied := {r.msg | some r in endpoints.deny} with input as provider([
		"https://api.openai.com.evil.example/v1",
		"http://api.openai.com/v1",
		"https://user@api.openai.com/v1",
		"https://api.openai.com/v1",
	])
	count(denied) == 3
	some m in denied
	contains(m, `"http://api.openai.com/v1"`)
}

test_deletes_are_not_checked if {
	count(endpoints.deny) == 0 with input as {"resource_changes": [{
		"address": "glow_provider.p",
		"type": "glow_provider",
		"change": {"actions": ["delete"], "before": {"endpoints": ["http://anything"]}, "after": null},
	}]}
}

test_allowlist_comes_from_data if {
	count(endpoints.deny) == 0 with input as provider(["https://llm.internal"])
		with data.switchboard_policy.allowed_endpoint_hosts as ["llm.internal"]
}
