package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Values planted where a careless implementation could copy them: the
// environment an env() secret reads and the process's tokens.
const (
	plantedEnvSecret = "sk-PLANTED-env-0123456789"
	plantedToken     = "gw_admin_PLANTED_token"
)

func sample(t testing.TB) *Payload {
	t.Helper()
	desired := objects.Snapshot{
		Glow: []objects.GlowProvider{{
			Address: "glow_provider.a", Name: "a <&> \"quoted\"", Departments: objects.NewSet("d1"),
			Keys: objects.NewKeys(
				objects.KeyState{Label: "primary", Source: secretref.Source{VaultPath: "secret/llm/openai", VaultKey: "api_key", Version: 4, CreatedTime: t0}},
				objects.KeyState{Label: "fallback", Source: secretref.Source{Env: "OPENAI_FALLBACK"}},
			),
		}, {Address: "glow_provider.b", Name: "b", Description: "new"}},
		Gateflow: []objects.GateflowProvider{{
			Address: "gateflow_provider.o", ProviderID: "openai", Configured: true, Enabled: true,
			Settings:    map[string]any{"timeout_ms": 100.0},
			Credentials: map[string]secretref.Source{"api_key": {VaultPath: "secret/llm/openai", VaultKey: "api_key", Version: 4, CreatedTime: t0}},
		}},
	}
	old := t0.Add(-time.Hour)
	live := objects.Snapshot{
		Glow: []objects.GlowProvider{{ID: "prv_1", Name: "a <&> \"quoted\"", Departments: objects.NewSet("d1"), Version: 9, UpdatedAt: old,
			Ownership: objects.Ownership{Marker: &objects.OwnerMarker{Owner: "team", Address: "glow_provider.a"}},
			Keys:      objects.Keys{{Label: "primary", KeyID: "k1", Name: "primary"}}}},
		Gateflow: []objects.GateflowProvider{{ProviderID: "openai", Configured: true, CredentialsUpdatedAt: &old, UpdatedAt: &old}},
	}
	p, err := diff.Diff(desired, live, diff.Options{Now: t0, ConfigChecksum: "sha256:abc", Owner: "team"})
	if err != nil {
		t.Fatal(err)
	}
	return &Payload{
		WrittenBy: "test",
		Plan:      p,
		Binding: Binding{
			Glow:  &ServiceBinding{URL: "https://glow.example", Actor: "ci", ScopeKnown: true},
			Vault: &VaultBinding{Address: "https://vault.example:8200"},
			Owner: "team",
			Variables: []Variable{
				{Name: "env", Plain: `{"value":"staging","type":"string"}`},
				{Name: "token", Sensitive: true, CredentialOnly: true},
			},
			Salt: "00",
		},
		Configuration: Configuration{Dir: "providers", Files: []File{NewFile("main.hcl", []byte("glow {}\n")), NewFile("blob.bin", []byte{0xff, 0})}},
		Live:          live,
		VaultMetadata: []SecretVersion{{Path: "secret/llm/openai", Key: "api_key", Version: 4, CreatedTime: t0}},
	}
}

func write(t testing.TB, pl *Payload) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, pl, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	pl := sample(t)
	got, err := Read(bytes.NewReader(write(t, pl)))
	if err != nil {
		t.Fatal(err)
	}
	// The typed subjects are not part of the file: apply re-derives them.
	// Values the diff deferred are in the file as built.
	for i := range pl.Plan.Changes {
		c := &pl.Plan.Changes[i]
		c.Subjects = plan.Subjects{}
		v := c.Values()
		c.Before, c.After, c.BeforeSensitive, c.AfterSensitive = v.Before, v.After, v.BeforeSensitive, v.AfterSensitive
	}
	if d := cmp.Diff(pl, got, cmpopts.IgnoreUnexported(plan.Change{})); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if string(got.Configuration.Files[1].Content()) != "\xff\x00" || got.Configuration.Files[0].Text != "glow {}\n" {
		t.Errorf("embedded files %+v", got.Configuration.Files)
	}
}

// A credential that reached the payload is cut out, and the file says so,
// so that apply refuses it by name rather than by checksum.
func TestWriteRedacts(t *testing.T) {
	pl := sample(t)
	pl.Configuration.Files = append(pl.Configuration.Files, NewFile("leak.hcl", []byte("# token: "+plantedToken+"\n")))
	redact := func(b []byte) ([]byte, int) {
		n := bytes.Count(b, []byte(plantedToken))
		return bytes.ReplaceAll(b, []byte(plantedToken), []byte("(redacted: GATEFLOW_ADMIN_KEY)")), n
	}
	var buf bytes.Buffer
	if err := Write(&buf, pl, WriteOptions{Redact: redact}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(plantedToken)) {
		t.Fatal("the credential is in the file")
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Redactions != 1 {
		t.Errorf("redactions %d", got.Redactions)
	}
}

func TestVersionMismatch(t *testing.T) {
	for _, v := range []int{1, 4} {
		data := bytes.Replace(write(t, sample(t)), []byte(`"format_version":3`), fmt.Appendf(nil, `"format_version":%d`, v), 1)
		_, err := Read(bytes.NewReader(data))
		var ve *VersionError
		if !errors.As(err, &ve) || ve.Got != v {
			t.Errorf("version %d: err = %v, want a *VersionError", v, err)
		}
		if err != nil && !strings.Contains(err.Error(), "reads versions 2 to 3") {
			t.Errorf("version %d: %q does not name the versions read", v, err)
		}
	}
}

// A version 2 file, written before the Gateflow rename, named the live
// Gateflow providers "gateway"; it stays readable for one format version.
func TestReadsVersion2(t *testing.T) {
	pl := sample(t)
	var env envelope
	if err := json.Unmarshal(write(t, pl), &env); err != nil {
		t.Fatal(err)
	}
	old := bytes.Replace(env.Payload, []byte(`"gateflow":[{"provider_id":"openai"`), []byte(`"gateway":[{"provider_id":"openai"`), 1)
	if bytes.Equal(old, env.Payload) {
		t.Fatalf("the sample's live Gateflow providers are not where the test expects them:\n%s", env.Payload)
	}
	v2 := envelope{Format: Format, FormatVersion: 2, SHA256: sha256Hex(old), Payload: old}
	var buf bytes.Buffer
	if err := jsonEncode(&buf, v2); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatalf("version 2 file refused: %v", err)
	}
	if len(got.Live.Gateflow) != 1 || got.Live.Gateflow[0].ProviderID != "openai" {
		t.Errorf("live Gateflow providers = %+v, want the one the version 2 file named \"gateway\"", got.Live.Gateflow)
	}

	// In a version 3 file the old key is an unknown field, as any other.
	v3 := envelope{Format: Format, FormatVersion: 3, SHA256: sha256Hex(old), Payload: old}
	buf.Reset()
	if err := jsonEncode(&buf, v3); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(&buf); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 3 file with \"gateway\": err = %v, want ErrCorrupt", err)
	}
}

func TestCorruption(t *testing.T) {
	good := write(t, sample(t))
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"empty":          {nil, ErrNotPlan},
		"garbage":        {[]byte("\x89PNG\r\n\x1a\n"), ErrNotPlan},
		"other json":     {[]byte(`{"format_version": "1.0", "resource_changes": []}`), ErrNotPlan},
		"truncated":      {good[:len(good)/2], ErrCorrupt},
		"edited":         {bytes.Replace(good, []byte(`"provider_name":"b"`), []byte(`"provider_name":"c"`), 1), ErrCorrupt},
		"trailing data":  {append(append([]byte{}, good...), `{}`...), ErrCorrupt},
		"no payload":     {[]byte(`{"format":"switchboard-plan","format_version":3,"sha256":"x"}`), ErrCorrupt},
		"payload null":   {[]byte(`{"format":"switchboard-plan","format_version":3,"sha256":"74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b","payload":null}`), ErrCorrupt},
		"unknown fields": {rehash(t, `{"plan":{"format_version":"1.0"},"secret_value":"x"}`), ErrCorrupt},
		"plan major 2":   {rehash(t, `{"plan":{"format_version":"2.0"}}`), ErrCorrupt},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// rehash builds a well-formed envelope around payload, as someone editing a
// plan file with care would.
func rehash(t *testing.T, payload string) []byte {
	t.Helper()
	env := envelope{Format: Format, FormatVersion: FormatVersion, Payload: []byte(payload)}
	sum := sha256Hex([]byte(payload))
	env.SHA256 = sum
	var out bytes.Buffer
	if err := jsonEncode(&out, env); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestNoSecretInFile(t *testing.T) {
	t.Setenv("OPENAI_FALLBACK", plantedEnvSecret)
	t.Setenv("GATEFLOW_ADMIN_KEY", plantedToken)
	pl := sample(t)
	data := write(t, pl)
	for _, s := range []string{plantedEnvSecret, plantedToken, "PLANTED"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("plan file contains %q", s)
		}
	}
	// The references are there: apply needs them.
	for _, s := range []string{"secret/llm/openai", "OPENAI_FALLBACK"} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("plan file lacks the reference %q", s)
		}
	}
}

// TestPayloadCannotHoldSecrets keeps the promise of the package comment:
// no type reachable from Payload is a secret value.
func TestPayloadCannotHoldSecrets(t *testing.T) {
	secretType := reflect.TypeFor[sensitive.String]()
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if typ == secretType {
			t.Errorf("%s is a sensitive.String", path)
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Key(), path+"{key}")
			walk(typ.Elem(), path+"{}")
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				if f.Name == "Value" || strings.Contains(strings.ToLower(f.Name), "token") || strings.Contains(strings.ToLower(f.Name), "secret") {
					t.Errorf("%s.%s: a field named like a secret", path, f.Name)
				}
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	walk(reflect.TypeFor[Payload](), "Payload")
}
