# Endpoints only from an allowlist: every endpoint a Glow provider will
# have after apply must be https on a host of
# data.switchboard_policy.allowed_endpoint_hosts (data.json).
package switchboard.endpoints

allowed_hosts := {h | some h in data.switchboard_policy.allowed_endpoint_hosts}

# host is the host of an https URL; undefined for anything else.
host(url) := h if {
	m := regex.find_all_string_submatch_n(`^https://([^/:?#@]+)(:[0-9]+)?([/?#].*)?$`, url, 1)
	h := lower(m[0][1])
}

deny contains result if {
	some rc in input.resource_changes
	rc.type == "glow_provider"
	some url in object.get(object.get(rc.change, "after", {}), "endpoints", [])
	not allowed(url)
	result := {
		"msg": sprintf("%s uses the endpoint %q, which is not https on an allowed host (%s)", [rc.address, url, concat(", ", sort(allowed_hosts))]),
		"address": rc.address,
	}
}

allowed(url) if host(url) in allowed_hosts
