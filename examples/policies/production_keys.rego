# Every production Glow provider has two keys, from two different secrets,
# so that one can be rotated while the other serves. A provider is in
# production when one of its departments is in
# data.switchboard_policy.production_departments (data.json).
package switchboard.production_keys

production_departments := {d | some d in data.switchboard_policy.production_departments}

deny contains result if {
	some rc in input.resource_changes
	rc.type == "glow_provider"
	after := rc.change.after
	after != null
	some d in object.get(after, "departments", [])
	d in production_departments
	n := count(secrets(after))
	n < 2
	result := {
		"msg": sprintf("%s is in the production department %q and has keys from %d %s: production providers need two", [rc.address, d, n, plural(n)]),
		"address": rc.address,
	}
}

# secrets are the distinct secrets behind the keys: two keys with one
# reference are one secret. A reference is {"vault": "PATH#FIELD",
# "version": N} or {"env": "NAME"}; the version does not make it another.
secrets(after) := {object.remove(ref, ["version", "key_id"]) |
	some ref in object.get(after, "keys", {})
}

plural(1) := "secret"

plural(n) := "secrets" if n != 1
