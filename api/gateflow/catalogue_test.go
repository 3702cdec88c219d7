package gateflow_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// TestCatalogueCoversProviderIDs: one entry per supported ID, in the
// reference's order, and none for anything else.
func TestCatalogueCoversProviderIDs(t *testing.T) {
	names := map[string]string{
		gateflow.OpenAI: "OpenAI", gateflow.Anthropic: "Anthropic", gateflow.Google: "Google AI",
		gateflow.Mistral: "Mistral", gateflow.Cohere: "Cohere", gateflow.ElevenLabs: "ElevenLabs",
	}
	if len(gateflow.ProviderIDs) != len(names) {
		t.Fatalf("ProviderIDs = %v", gateflow.ProviderIDs)
	}
	for _, id := range gateflow.ProviderIDs {
		p, ok := gateflow.Catalogue(id)
		if !ok {
			t.Errorf("Catalogue(%q): ok = false, want true", id)
		}
		if p.ID != id {
			t.Errorf("Catalogue(%q).ID = %q, want %q", id, p.ID, id)
		}
		if p.Name != names[id] {
			t.Errorf("Catalogue(%q).Name = %q, want %q", id, p.Name, names[id])
		}
		if !gateflow.IsProviderID(id) {
			t.Errorf("IsProviderID(%q) = false, want true", id)
		}
		if len(p.Models) == 0 {
			t.Errorf("%s has no models", id)
		}
		for _, m := range p.Models {
			if m.ID == "" || m.Type == "" || !m.Available {
				t.Errorf("%s: model %+v", id, m)
			}
		}
		if !slices.IsSorted(p.SettingNames()) || !slices.IsSorted(p.CredentialNames()) {
			t.Errorf("%s: names not sorted: %v %v", id, p.SettingNames(), p.CredentialNames())
		}
		for _, common := range []string{"base_url", "default_model", "max_retries", "timeout_ms"} {
			if _, ok := p.Setting(common); !ok {
				t.Errorf("%s lacks the setting %s", id, common)
			}
		}
		if c, ok := p.Credential("api_key"); !ok || !c.Required {
			t.Errorf("%s: api_key = %+v, %v", id, c, ok)
		}
	}
	for _, id := range []string{"", "azure", "OpenAI", "openai "} {
		if _, ok := gateflow.Catalogue(id); ok || gateflow.IsProviderID(id) {
			t.Errorf("%q is catalogued", id)
		}
	}
}

// TestCatalogueEntries pins what docs/api.md records per provider.
func TestCatalogueEntries(t *testing.T) {
	settings := map[string][]string{
		gateflow.OpenAI:     {"base_url", "default_model", "max_retries", "organization_id", "project_id", "timeout_ms"},
		gateflow.Anthropic:  {"base_url", "default_model", "max_retries", "timeout_ms"},
		gateflow.Google:     {"base_url", "default_model", "max_retries", "region", "timeout_ms"},
		gateflow.Mistral:    {"base_url", "default_model", "max_retries", "timeout_ms"},
		gateflow.Cohere:     {"base_url", "default_model", "max_retries", "timeout_ms"},
		gateflow.ElevenLabs: {"base_url", "default_model", "default_voice", "max_retries", "timeout_ms"},
	}
	creds := map[string][]string{gateflow.OpenAI: {"api_key", "organization_id"}}
	prefixes := map[string]string{gateflow.OpenAI: "sk-", gateflow.Anthropic: "sk-ant-"}
	for _, id := range gateflow.ProviderIDs {
		p, _ := gateflow.Catalogue(id)
		if got := p.SettingNames(); !slices.Equal(got, settings[id]) {
			t.Errorf("%s settings = %v, want %v", id, got, settings[id])
		}
		want := creds[id]
		if want == nil {
			want = []string{"api_key"}
		}
		if got := p.CredentialNames(); !slices.Equal(got, want) {
			t.Errorf("%s credentials = %v, want %v", id, got, want)
		}
		if c, _ := p.Credential("api_key"); c.Prefix != prefixes[id] {
			t.Errorf("%s api_key prefix = %q", id, c.Prefix)
		}
		if c, ok := p.Credential("organization_id"); ok && c.Required {
			t.Errorf("%s: organization_id is required", id)
		}
		for _, s := range p.Settings {
			want := gateflow.TypeString
			if s.Name == "timeout_ms" || s.Name == "max_retries" {
				want = gateflow.TypeInteger
			}
			if s.Type != want || s.NonNegative != (want == gateflow.TypeInteger) {
				t.Errorf("%s.%s = %+v", id, s.Name, s)
			}
		}
	}
	openai, _ := gateflow.Catalogue(gateflow.OpenAI)
	if got := openai.ModelIDs(); !slices.Equal(got, []string{"gpt-5.2", "gpt-5", "gpt-5-mini", "text-embedding-3-large"}) {
		t.Errorf("openai models = %v (the reference's list)", got)
	}
	if _, ok := openai.Setting("temperature"); ok {
		t.Error("temperature is a setting")
	}
}

// TestCatalogueIsACopy: a caller changing its entry changes no other.
func TestCatalogueIsACopy(t *testing.T) {
	p, _ := gateflow.Catalogue(gateflow.OpenAI)
	p.Settings[0].Type = gateflow.TypeBoolean
	p.Credentials[0].Required = false
	p.Models[0].ID = "changed"
	q, _ := gateflow.Catalogue(gateflow.OpenAI)
	if q.Settings[0].Type == gateflow.TypeBoolean || !q.Credentials[0].Required || q.Models[0].ID == "changed" {
		t.Errorf("the table changed: %+v", q)
	}
}

func TestSettingAccepts(t *testing.T) {
	str := gateflow.SettingInfo{Name: "s", Type: gateflow.TypeString}
	num := gateflow.SettingInfo{Name: "n", Type: gateflow.TypeNumber}
	nonNegNum := gateflow.SettingInfo{Name: "n", Type: gateflow.TypeNumber, NonNegative: true}
	integer := gateflow.SettingInfo{Name: "i", Type: gateflow.TypeInteger}
	count := gateflow.SettingInfo{Name: "c", Type: gateflow.TypeInteger, NonNegative: true}
	boolean := gateflow.SettingInfo{Name: "b", Type: gateflow.TypeBoolean}
	cases := []struct {
		s    gateflow.SettingInfo
		v    any
		want bool
	}{
		{str, "x", true}, {str, "", true}, {str, 3, false}, {str, true, false}, {str, nil, false},
		{boolean, true, true}, {boolean, "true", false}, {boolean, 1, false},
		{num, 0.5, true}, {num, json.Number("-2.5"), true}, {num, int64(3), true}, {num, "3", false},
		{num, math.NaN(), false}, {num, math.Inf(1), false}, {num, json.Number("x"), false},
		{nonNegNum, -0.5, false}, {nonNegNum, 0.0, true},
		{integer, int64(-3), true}, {integer, json.Number("-3"), true}, {integer, 3.0, true},
		{integer, 3.5, false}, {integer, json.Number("3.5"), false}, {integer, json.Number("3.0"), false},
		{integer, json.Number("1e3"), false}, {integer, 1e19, false}, {integer, uint64(math.MaxUint64), false},
		{integer, "3", false}, {integer, true, false}, {integer, nil, false},
		{count, 0, true}, {count, int64(30000), true}, {count, json.Number("30000"), true},
		{count, -1, false}, {count, json.Number("-1"), false}, {count, -1.0, false}, {count, uint8(1), true},
	}
	for _, c := range cases {
		if got := c.s.Accepts(c.v); got != c.want {
			t.Errorf("%+v.Accepts(%#v) = %v, want %v", c.s, c.v, got, c.want)
		}
	}
	for s, want := range map[gateflow.SettingInfo]string{
		str: "a string", num: "a number", nonNegNum: "a non-negative number", integer: "an integer",
		count: "a non-negative integer", boolean: "a boolean",
	} {
		if got := s.Expected(); got != want {
			t.Errorf("%+v.Expected() = %q, want %q", s, got, want)
		}
	}
}

// TestEmulatorAnswersFromTheCatalogue: for every entry, the emulator
// accepts each setting of the right type and refuses a wrong type or an
// unknown name (400 naming settings.<key>), and applies each credential
// field: unknown names, a missing required field, a wrong prefix (422
// naming credentials.<key>).
func TestEmulatorAnswersFromTheCatalogue(t *testing.T) {
	_, base := emulatortest.Start(t, emulator.Config{})
	configure := func(t *testing.T, body map[string]any) (int, api.ErrorDetail) {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/management/providers", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+emulatortest.AdminKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var e api.ErrorBody
		_ = json.NewDecoder(res.Body).Decode(&e)
		if res.StatusCode == http.StatusOK {
			del, _ := http.NewRequest(http.MethodDelete, base+"/v1/management/providers/"+body["provider"].(string), nil)
			del.Header.Set("Authorization", "Bearer "+emulatortest.AdminKey)
			if r, err := http.DefaultClient.Do(del); err != nil || r.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %v %v", r, err)
			} else {
				r.Body.Close()
			}
		}
		return res.StatusCode, e.Error
	}
	good := map[gateflow.ValueType]any{gateflow.TypeString: "x", gateflow.TypeInteger: 30000, gateflow.TypeNumber: 0.5, gateflow.TypeBoolean: true}
	bad := map[gateflow.ValueType][]any{
		gateflow.TypeString: {1, true}, gateflow.TypeInteger: {"30000", 1.5, -1, true},
		gateflow.TypeNumber: {"0.5", false}, gateflow.TypeBoolean: {"true", 1},
	}
	for _, id := range gateflow.ProviderIDs {
		p, _ := gateflow.Catalogue(id)
		creds := map[string]any{}
		for _, c := range p.Credentials {
			if c.Required {
				creds[c.Name] = c.Prefix + "key-1"
			}
		}
		want := func(t *testing.T, body map[string]any, status int, code, field string) {
			t.Helper()
			got, e := configure(t, body)
			if got != status || (status != http.StatusOK && (e.Code != code || e.Field != field)) {
				t.Errorf("%v: %d %+v, want %d %s %s", body, got, e, status, code, field)
			}
		}
		t.Run(id, func(t *testing.T) {
			all := map[string]any{}
			for _, s := range p.Settings {
				all[s.Name] = good[s.Type]
				want(t, map[string]any{"provider": id, "credentials": creds, "settings": map[string]any{s.Name: good[s.Type]}}, http.StatusOK, "", "")
				for _, v := range bad[s.Type] {
					want(t, map[string]any{"provider": id, "credentials": creds, "settings": map[string]any{s.Name: v}}, http.StatusBadRequest, "invalid_configuration", "settings."+s.Name)
				}
			}
			want(t, map[string]any{"provider": id, "credentials": creds, "settings": all}, http.StatusOK, "", "")
			want(t, map[string]any{"provider": id, "credentials": creds, "settings": map[string]any{"temperature": 0.2}}, http.StatusBadRequest, "invalid_configuration", "settings.temperature")
			want(t, map[string]any{"provider": id, "credentials": map[string]any{"api_key": "sk-ant-1", "secret": "s"}}, http.StatusUnprocessableEntity, "invalid_credentials", "credentials.secret")
			withAll := map[string]any{}
			for _, c := range p.Credentials {
				withAll[c.Name] = c.Prefix + "v"
				if c.Required {
					want(t, map[string]any{"provider": id, "credentials": map[string]any{}}, http.StatusUnprocessableEntity, "invalid_credentials", "credentials."+c.Name)
				}
				if c.Prefix != "" {
					want(t, map[string]any{"provider": id, "credentials": map[string]any{c.Name: "pk-" + c.Name}}, http.StatusUnprocessableEntity, "invalid_credentials", "credentials."+c.Name)
				}
			}
			want(t, map[string]any{"provider": id, "credentials": withAll}, http.StatusOK, "", "")
		})
	}
}
