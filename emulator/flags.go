package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
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
	GlowTokens        []GlowToken `json:"glow_tokens"`
	GateflowAdminKeys []AdminKey  `json:"gateflow_admin_keys"`
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

// ByteSize is a size in bytes written as a number with an optional unit:
// B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000), case
// insensitive ("8MiB", "200KB", "1048576"). It is a pflag.Value, for
// `switchboard emulator --max-body`.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{
	{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"b", 1},
}

// ParseByteSize reads a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	unit := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(in, u.suffix); ok {
			in, unit = strings.TrimSpace(num), u.n
			break
		}
	}
	n, err := strconv.ParseInt(in, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is not a size in bytes (such as 8MiB, 200KB or 1048576)", s)
	}
	return ByteSize(n * unit), nil
}

// String writes the size in the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.n == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.n, u.suffix)
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// Set parses s into b.
func (b *ByteSize) Set(s string) error {
	v, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Type names the flag's value in help.
func (b *ByteSize) Type() string { return "size" }
