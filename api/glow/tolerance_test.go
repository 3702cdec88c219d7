package glow_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/glow"
)

// Probes of provider values that are not strings (docs/api.md,
// "Tolerance"): Switchboard writes only strings, but must read whatever a
// Glow holds, and keep it to show.

// answeringGlow is a fake Glow that answers every request 200 with body.
func answeringGlow(t *testing.T, body string) *glow.Client {
	t.Helper()
	return newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}).client(api.WithRetryMax(0))
}

// mixedValues holds one value of every JSON kind.
const mixedValues = `{"region": "eu", "timeout_s": 30, "ratio": 0.5, "stream": true, "proxy": null,
	"limits": {"rpm": 60, "burst": [1, 2]}, "tags": ["a", "b"], "escaped": "line\nbreak \u00e9"}`

var (
	wantStrings = map[string]string{"region": "eu", "escaped": "line\nbreak é"}
	wantOther   = map[string]json.RawMessage{
		"timeout_s": json.RawMessage(`30`), "ratio": json.RawMessage(`0.5`), "stream": json.RawMessage(`true`),
		"proxy": json.RawMessage(`null`), "limits": json.RawMessage(`{"rpm":60,"burst":[1,2]}`),
		"tags": json.RawMessage(`["a","b"]`),
	}
)

func providerJSON(values string) string {
	return `{"provider_id": "p1", "name": "OpenAI Production", "description": "", "department_ids": ["cs"],
		"endpoint_ids": [], "key_ids": [], "values": ` + values + `, "version": 3, "model_usage_count": 0,
		"model_ids": [], "created_at": "2026-02-16T10:00:00Z", "updated_at": "2026-02-16T10:00:00.5Z"}`
}

func checkValues(t *testing.T, what string, strs map[string]string, other map[string]json.RawMessage) {
	t.Helper()
	if d := cmp.Diff(wantStrings, strs); d != "" {
		t.Errorf("%s: Values (-want +got):\n%s", what, d)
	}
	if d := cmp.Diff(wantOther, other); d != "" {
		t.Errorf("%s: OtherValues (-want +got):\n%s", what, d)
	}
}

// TestNonStringValuesInSearch: a search page whose provider has numbers,
// booleans, null and nested JSON among its values.
func TestNonStringValuesInSearch(t *testing.T) {
	c := answeringGlow(t, `{"providers": [`+providerJSON(mixedValues)+`], "total_count": 1}`)
	var got []glow.Provider
	for p, err := range c.Search(context.Background(), glow.SearchRequest{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if len(got) != 1 || got[0].ID != "p1" || got[0].Version != 3 {
		t.Fatalf("providers %+v", got)
	}
	checkValues(t, "search", got[0].Values, got[0].OtherValues)
}

// TestNonStringValuesInGet: the same in a get answer.
func TestNonStringValuesInGet(t *testing.T) {
	c := answeringGlow(t, `{"provider": `+providerJSON(mixedValues)+`, "endpoints": {"current": [], "options": []}, "keys": {"current": []}}`)
	d, err := c.GetProvider(context.Background(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "get", d.Provider.Values, d.Provider.OtherValues)
}

// TestNonStringValuesInUpdateAndPublish: the provider that update and
// publish answer.
func TestNonStringValuesInUpdateAndPublish(t *testing.T) {
	ctx := context.Background()
	c := answeringGlow(t, providerJSON(mixedValues))
	u, err := c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "update", u.Values, u.OtherValues)
	p, err := c.Publish(ctx, glow.PublishRequest{DraftID: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "publish", p.Values, p.OtherValues)
}

// TestNonStringValuesInDrafts: a draft's form state, as the draft call and
// the drafts list answer it.
func TestNonStringValuesInDrafts(t *testing.T) {
	ctx := context.Background()
	form := `{"provider_id": "p1", "name": "OpenAI Production", "description": "", "department_ids": [],
		"endpoint_ids": [], "key_ids": [], "values": ` + mixedValues + `}`
	dr, err := answeringGlow(t, `{"draft_id": "d1", "new_version": 4, "form_state": `+form+`}`).
		Draft(ctx, glow.DraftRequest{ProviderID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "draft", dr.FormState.Values, dr.FormState.OtherValues)
	c := answeringGlow(t, `{"drafts": [{"draft_id": "d1", "provider_id": "p1", "version": 4, "actor_name": "ci",
		"form_state": `+form+`, "updated_at": "2026-02-16T10:00:00Z"}]}`)
	n := 0
	for d, err := range c.ListDrafts(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		checkValues(t, "drafts", d.FormState.Values, d.FormState.OtherValues)
	}
	if n != 1 {
		t.Errorf("%d drafts", n)
	}
}

// TestStringValuesAreUnchanged: all strings, none and null read as before,
// with no OtherValues.
func TestStringValuesAreUnchanged(t *testing.T) {
	for _, tc := range []struct {
		values string
		want   map[string]string
	}{
		{`{"timeout_s": "30", "switchboard": "owner=default"}`, map[string]string{"timeout_s": "30", "switchboard": "owner=default"}},
		{`{}`, map[string]string{}},
		{`null`, nil},
	} {
		u, err := answeringGlow(t, providerJSON(tc.values)).UpdateProvider(context.Background(), glow.UpdateRequest{ProviderID: "p1"})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, u.Values); d != "" {
			t.Errorf("%s: Values (-want +got):\n%s", tc.values, d)
		}
		if u.OtherValues != nil {
			t.Errorf("%s: OtherValues %v", tc.values, u.OtherValues)
		}
	}
}

// TestValuesThatAreNotAnObjectFail: Switchboard acts on values (its
// ownership marker is one), so values that are not an object are not
// guessed at.
func TestValuesThatAreNotAnObjectFail(t *testing.T) {
	for _, values := range []string{`["timeout_s=30"]`, `"timeout_s=30"`, `30`} {
		_, err := answeringGlow(t, providerJSON(values)).UpdateProvider(context.Background(), glow.UpdateRequest{ProviderID: "p1"})
		if !errors.Is(err, api.ErrDecode) {
			t.Errorf("values %s: err %v, want an undecodable answer", values, err)
		}
	}
}

// TestCreatedAtOfAnyShape: created_at is only displayed, so a form without
// zone, an empty string or garbage does not fail; updated_at, which plans
// are bound to, stays strict (fractional seconds or not).
func TestCreatedAtOfAnyShape(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		created string
		want    time.Time
	}{
		{`"2026-02-16T10:00:00Z"`, base},
		{`"2026-02-16T10:00:00.25Z"`, base.Add(250 * time.Millisecond)},
		{`"2026-02-16T10:00:00"`, base},
		{`"2026-02-16 11:00:00+01:00"`, base},
		{`""`, time.Time{}},
		{`"last week"`, time.Time{}},
		{`1771236000`, time.Time{}},
		{`null`, time.Time{}},
	} {
		body := `{"provider_id": "p1", "name": "n", "values": {}, "version": 1, "created_at": ` + tc.created + `, "updated_at": "2026-02-16T10:00:00Z"}`
		p, err := answeringGlow(t, body).UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1"})
		if err != nil {
			t.Errorf("created_at %s: %v", tc.created, err)
			continue
		}
		if !p.CreatedAt.Equal(tc.want) || !p.UpdatedAt.Equal(base) {
			t.Errorf("created_at %s: read %v (updated %v), want %v", tc.created, p.CreatedAt, p.UpdatedAt, tc.want)
		}
	}
	body := `{"provider_id": "p1", "name": "n", "version": 1, "updated_at": "2026-02-16T10:00:00"}`
	if _, err := answeringGlow(t, body).UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1"}); !errors.Is(err, api.ErrDecode) {
		t.Errorf("updated_at without zone: err %v, want an undecodable answer", err)
	}
}

// TestEncodingKeepsOtherValues: a provider or form state encoded (as the
// emulator answers, or a caller stores it) writes OtherValues back into
// values, and decodes to itself; without OtherValues the encoding is the
// plain one.
func TestEncodingKeepsOtherValues(t *testing.T) {
	var p glow.Provider
	if err := json.Unmarshal([]byte(providerJSON(mixedValues)), &p); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back glow.Provider
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	var raw struct {
		Values map[string]json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(b, &raw); err != nil || string(raw.Values["timeout_s"]) != "30" || string(raw.Values["region"]) != `"eu"` {
		t.Errorf("encoded values %s, %v", raw.Values, err)
	}

	f := glow.FormState{ProviderID: "p1", Values: map[string]string{"a": "1"}, OtherValues: map[string]json.RawMessage{"b": json.RawMessage(`false`)}}
	b, err = json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var fb glow.FormState
	if err := json.Unmarshal(b, &fb); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f, fb); d != "" {
		t.Errorf("form state round trip (-want +got):\n%s", d)
	}

	plain := glow.Provider{ID: "p2", Name: "n", Values: map[string]string{"a": "<b>"}}
	b, err = json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"provider_id":"p2","name":"n","description":"","department_ids":null,"endpoint_ids":null,"key_ids":null,` +
		`"values":{"a":"\u003cb\u003e"},"version":0,"model_usage_count":0,"model_ids":null,` +
		`"created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"}`
	if string(b) != want {
		t.Errorf("encoded\n%s\nwant\n%s", b, want)
	}

	bad := glow.Provider{ID: "p3", OtherValues: map[string]json.RawMessage{"x": json.RawMessage(`{`)}}
	if _, err := json.Marshal(bad); err == nil {
		t.Error("invalid raw value encoded without error")
	}
}
