package objects

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/secretref"
)

// mapKeyState is KeyState as it was when Keys were a map, without Label:
// plan files hold what a map of these wrote.
type mapKeyState struct {
	Source secretref.Source `json:"source"`
	KeyID  string           `json:"key_id,omitempty"`
	Name   string           `json:"name,omitempty"`
	Marked bool             `json:"marked,omitempty"`
	Owner  string           `json:"owner,omitempty"`
}

func asMap(ks Keys) map[string]mapKeyState {
	if ks == nil {
		return nil
	}
	m := make(map[string]mapKeyState, len(ks))
	for _, k := range ks {
		m[k.Label] = mapKeyState{Source: k.Source, KeyID: k.KeyID, Name: k.Name, Marked: k.Marked, Owner: k.Owner}
	}
	return m
}

// encode writes v as json.Marshal does, or as the plan file's writer does
// (no HTML escaping).
func encode(t *testing.T, v any, escapeHTML bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestKeysJSONIsTheMapsJSON(t *testing.T) {
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	// Labels that sort and escape differently: HTML characters, U+2028,
	// invalid UTF-8, and a label that is a prefix of another.
	keys := NewKeys(
		KeyState{Label: "primary", Source: secretref.Source{VaultPath: "secret/a&b", VaultKey: "api_key", Version: 3, CreatedTime: created}, KeyID: "k1", Name: "primary (vault:secret/a&b#api_key@v3)", Marked: true, Owner: "team"},
		KeyState{Label: "<fallback>", Source: secretref.Source{Env: "FALLBACK"}},
		KeyState{Label: "prim", KeyID: "k2", Name: "prim"},
		KeyState{Label: "line\u2028sep", Source: secretref.Source{TerraformVersion: 2}},
		KeyState{Label: "bad\xffutf8"},
		KeyState{Label: ""},
	)
	type newShape struct {
		Keys Keys `json:"keys,omitempty"`
	}
	type oldShape struct {
		Keys map[string]mapKeyState `json:"keys,omitempty"`
	}
	for _, ks := range []Keys{keys, keys[:1], {}, nil} {
		for _, escape := range []bool{true, false} {
			got, want := encode(t, newShape{ks}, escape), encode(t, oldShape{asMap(ks)}, escape)
			if !bytes.Equal(got, want) {
				t.Errorf("%d keys, escapeHTML %v:\n got %s\nwant %s", len(ks), escape, got, want)
			}
			got, want = encode(t, ks, escape), encode(t, asMap(ks), escape)
			if !bytes.Equal(got, want) {
				t.Errorf("%d keys alone, escapeHTML %v:\n got %s\nwant %s", len(ks), escape, got, want)
			}
		}
	}

	var back newShape
	if err := json.Unmarshal(encode(t, oldShape{asMap(keys)}, false), &back); err != nil {
		t.Fatal(err)
	}
	// Invalid UTF-8 reads back as U+FFFD, as it did into the map.
	want := slices.Clone(keys)
	for i := range want {
		if want[i].Label == "bad\xffutf8" {
			want[i].Label = "bad\ufffdutf8"
		}
	}
	want = NewKeys(want...)
	if d := cmp.Diff(want, back.Keys); d != "" {
		t.Errorf("read back (-want +got):\n%s", d)
	}
}

func TestKeysUnmarshal(t *testing.T) {
	var ks Keys
	if err := json.Unmarshal([]byte(`{"z":{"source":{"env":"Z"}},"a":{"key_id":"k1"},"m":null,"a":{"key_id":"k2"}}`), &ks); err != nil {
		t.Fatal(err)
	}
	// Sorted, and of a repeated label the last, as encoding/json does for
	// a map.
	want := Keys{{Label: "a", KeyID: "k2"}, {Label: "m"}, {Label: "z", Source: secretref.Source{Env: "Z"}}}
	if d := cmp.Diff(want, ks); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	if err := json.Unmarshal([]byte(`null`), &ks); err != nil || ks != nil {
		t.Errorf("null: %v, %v", ks, err)
	}
	if err := json.Unmarshal([]byte(`{}`), &ks); err != nil || ks == nil || len(ks) != 0 {
		t.Errorf("{}: %#v, %v", ks, err)
	}
	// The plan file's reader refuses unknown fields; that must reach the
	// keys, whose label is never a field.
	for _, bad := range []string{`{"a":{"label":"a"}}`, `{"a":{"secret_value":"x"}}`, `[]`, `{"a":1}`, `{"a":{"key_id":1}}`} {
		if err := json.Unmarshal([]byte(bad), &ks); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestKeysGetSet(t *testing.T) {
	var ks Keys
	for _, l := range []string{"m", "a", "z", "b"} {
		ks.Set(KeyState{Label: l, KeyID: "id-" + l})
	}
	ks.Set(KeyState{Label: "m", KeyID: "new"})
	labels := make([]string, 0, len(ks))
	for _, k := range ks {
		labels = append(labels, k.Label)
	}
	if want := []string{"a", "b", "m", "z"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if k, ok := ks.Get("m"); !ok || k.KeyID != "new" {
		t.Errorf("Get(m) = %+v, %v", k, ok)
	}
	if k, ok := ks.Get("c"); ok || k != (KeyState{}) {
		t.Errorf("Get(c) = %+v, %v", k, ok)
	}
	if !ks.Has("z") || ks.Has("") || Keys(nil).Has("a") {
		t.Error("Has")
	}
	if NewKeys() != nil {
		t.Error("NewKeys() is not nil")
	}
}
