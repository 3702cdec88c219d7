package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ParseGlowToken reads the command line form of a Glow token:
//
//	TOKEN                      unscoped, actor "glow-user"
//	TOKEN=ACTOR                unscoped, actor ACTOR
//	TOKEN=ACTOR:DEPT1,DEPT2    scoped to departments DEPT1 and DEPT2
func ParseGlowToken(s string) (GlowToken, error) {
	tok, rest, hasActor := strings.Cut(s, "=")
	if strings.TrimSpace(tok) == "" {
		return GlowToken{}, fmt.Errorf("glow token %q: the token is empty", redact(s))
	}
	t := GlowToken{Token: tok, ActorName: "glow-user"}
	if !hasActor {
		return t, nil
	}
	actor, depts, scoped := strings.Cut(rest, ":")
	if actor == "" {
		return GlowToken{}, fmt.Errorf("glow token %s: the actor after '=' is empty", redact(tok))
	}
	t.ActorName = actor
	if scoped {
		for _, d := range strings.Split(depts, ",") {
			if d = strings.TrimSpace(d); d != "" {
				t.Departments = append(t.Departments, d)
			}
		}
		if len(t.Departments) == 0 {
			return GlowToken{}, fmt.Errorf("glow token %s: no departments after ':'", redact(tok))
		}
	}
	return t, nil
}

// ParseAdminKey reads the command line form of a Gateflow admin key: KEY,
// or KEY:ro for a read-only key.
func ParseAdminKey(s string) (AdminKey, error) {
	k := AdminKey{Key: s}
	if key, ok := strings.CutSuffix(s, ":ro"); ok {
		k = AdminKey{Key: key, ReadOnly: true}
	}
	if !strings.HasPrefix(k.Key, AdminKeyPrefix) {
		return AdminKey{}, fmt.Errorf("gateflow admin key %s does not start with %q", redact(k.Key), AdminKeyPrefix)
	}
	return k, nil
}

// redact shows the start of a secret, enough to recognise it in an error.
func redact(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:4] + "****"
}

// CredentialsFile is the format of `switchboard emulator --config`:
//
//	{"glow_tokens": [{"token": "…", "actor_name": "alice", "departments": ["cs"]}],
//	 "gateflow_admin_keys": [{"key": "gw_admin_…", "read_only": false}]}
type CredentialsFile struct {
	GlowTokens       []GlowToken `json:"glow_tokens"`
	GatewayAdminKeys []AdminKey  `json:"gateflow_admin_keys"`
}

// LoadCredentialsFile reads a CredentialsFile; unknown fields are errors.
func LoadCredentialsFile(path string) (CredentialsFile, error) {
	var f CredentialsFile
	data, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
