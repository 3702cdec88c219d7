package catalogue_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// TestCatalogueCoversProviderIDs: one entry per supported ID, in the
// reference's order, and none for anything else.
func TestCatalogueCoversProviderIDs(t *testing.T) {
	names := map[string]string{
		catalogue.OpenAI: "OpenAI", catalogue.Anthropic: "Anthropic", catalogue.Google: "Google AI",
		catalogue.Mistral: "Mistral", catalogue.Cohere: "Cohere", catalogue.ElevenLabs: "ElevenLabs",
	}
	if len(catalogue.ProviderIDs) != len(names) {
		t.Fatalf("ProviderIDs = %v", catalogue.ProviderIDs)
	}
	for _, id := range catalogue.ProviderIDs {
		p, ok := catalogue.Lookup(id)
		if !ok {
			t.Errorf("Catalogue(%q): ok = false, want true", id)
		}
		if p.ID != id {
			t.Errorf("Catalogue(%q).ID = %q, want %q", id, p.ID, id)
		}
		if p.Name != names[id] {
			t.Errorf("Catalogue(%q).Name = %q, want %q", id, p.Name, names[id])
		}
		if !catalogue.IsProviderID(id) {
			t.Errorf("IsProviderID(%q) = false, want true", id)
		}
		if len(p.Models) == 0 {
			t.Errorf("%s has no models", id)
		}
		for _, m := range p.Models {
			if m.ID == "" {
				t.Errorf("%s: model %+v has no ID", id, m)
			}
			if m.Type == "" {
				t.Errorf("%s: model %+v has no type", id, m)
			}
		}
		if !slices.IsSorted(p.SettingNames()) {
			t.Errorf("%s: setting names not sorted: %v", id, p.SettingNames())
		}
		if !slices.IsSorted(p.CredentialNames()) {
			t.Errorf("%s: credential names not sorted: %v", id, p.CredentialNames())
		}
		for _, common := range []string{"base_url", "default_model", "max_retries", "timeout_ms"} {
			if _, ok := p.Setting(common); !ok {
				t.Errorf("%s lacks the setting %s", id, common)
			}
		}
		if c, ok := p.Credential("api_key"); !ok {
			t.Errorf("%s has no api_key credential", id)
		} else if !c.Required {
			t.Errorf("%s: api_key = %+v, want Required", id, c)
		}
	}
	for _, id := range []string{"", "azure", "OpenAI", "openai "} {
		if _, ok := catalogue.Lookup(id); ok {
			t.Errorf("Lookup(%q): ok = true, want false", id)
		}
		if catalogue.IsProviderID(id) {
			t.Errorf("IsProviderID(%q) = true, want false", id)
		}
	}
}

// TestCatalogueEntries pins what docs/api.md records per provider.
func TestCatalogueEntries(t *testing.T) {
	settings := map[string][]string{
		catalogue.OpenAI:     {"base_url", "default_model", "max_retries", "organization_id", "project_id", "timeout_ms"},
		catalogue.Anthropic:  {"base_url", "default_model", "max_retries", "timeout_ms"},
		catalogue.Google:     {"base_url", "default_model", "max_retries", "region", "timeout_ms"},
		catalogue.Mistral:    {"base_url", "default_model", "max_retries", "timeout_ms"},
		catalogue.Cohere:     {"base_url", "default_model", "max_retries", "timeout_ms"},
		catalogue.ElevenLabs: {"base_url", "default_model", "default_voice", "max_retries", "timeout_ms"},
	}
	creds := map[string][]string{catalogue.OpenAI: {"api_key", "organization_id"}}
	prefixes := map[string]string{catalogue.OpenAI: "sk-", catalogue.Anthropic: "sk-ant-"}
	for _, id := range catalogue.ProviderIDs {
		p, _ := catalogue.Lookup(id)
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
			want := catalogue.TypeString
			if s.Name == "timeout_ms" || s.Name == "max_retries" {
				want = catalogue.TypeInteger
			}
			if s.Type != want {
				t.Errorf("%s.%s: Type = %q, want %q", id, s.Name, s.Type, want)
			}
			if s.NonNegative != (want == catalogue.TypeInteger) {
				t.Errorf("%s.%s: NonNegative = %v, want %v", id, s.Name, s.NonNegative, want == catalogue.TypeInteger)
			}
		}
	}
	openai, _ := catalogue.Lookup(catalogue.OpenAI)
	if got := openai.ModelIDs(); !slices.Equal(got, []string{"gpt-5.2", "gpt-5", "gpt-5-mini", "text-embedding-3-large"}) {
		t.Errorf("openai models = %v (the reference's list)", got)
	}
	if _, ok := openai.Setting("temperature"); ok {
		t.Error("temperature is a setting")
	}
}

// TestCatalogueIsACopy: a caller changing its entry changes no other.
func TestCatalogueIsACopy(t *testing.T) {
	p, _ := catalogue.Lookup(catalogue.OpenAI)
	p.Settings[0].Type = catalogue.TypeBoolean
	p.Credentials[0].Required = false
	p.Models[0].ID = "changed"
	q, _ := catalogue.Lookup(catalogue.OpenAI)
	if q.Settings[0].Type == catalogue.TypeBoolean {
		t.Errorf("the table's setting changed: %+v", q.Settings[0])
	}
	if !q.Credentials[0].Required {
		t.Errorf("the table's credential changed: %+v", q.Credentials[0])
	}
	if q.Models[0].ID == "changed" {
		t.Errorf("the table's model changed: %+v", q.Models[0])
	}
}

func TestSettingAccepts(t *testing.T) {
	str := catalogue.SettingInfo{Name: "s", Type: catalogue.TypeString}
	num := catalogue.SettingInfo{Name: "n", Type: catalogue.TypeNumber}
	nonNegNum := catalogue.SettingInfo{Name: "n", Type: catalogue.TypeNumber, NonNegative: true}
	integer := catalogue.SettingInfo{Name: "i", Type: catalogue.TypeInteger}
	count := catalogue.SettingInfo{Name: "c", Type: catalogue.TypeInteger, NonNegative: true}
	boolean := catalogue.SettingInfo{Name: "b", Type: catalogue.TypeBoolean}
	cases := []struct {
		s    catalogue.SettingInfo
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
	for s, want := range map[catalogue.SettingInfo]string{
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
			r, err := http.DefaultClient.Do(del)
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: status %d, want %d", r.StatusCode, http.StatusNoContent)
			}
		}
		return res.StatusCode, e.Error
	}
	good := map[catalogue.ValueType]any{catalogue.TypeString: "x", catalogue.TypeInteger: 30000, catalogue.TypeNumber: 0.5, catalogue.TypeBoolean: true}
	bad := map[catalogue.ValueType][]any{
		catalogue.TypeString: {1, true}, catalogue.TypeInteger: {"30000", 1.5, -1, true},
		catalogue.TypeNumber: {"0.5", false}, catalogue.TypeBoolean: {"true", 1},
	}
	for _, id := range catalogue.ProviderIDs {
		p, _ := catalogue.Lookup(id)
		creds := map[string]any{}
		for _, c := range p.Credentials {
			if c.Required {
				creds[c.Name] = c.Prefix + "key-1"
			}
		}
		want := func(t *testing.T, body map[string]any, status int, code, field string) {
			t.Helper()
			got, e := configure(t, body)
			if got != status {
				t.Errorf("%v: status %d %+v, want %d", body, got, e, status)
				return
			}
			if status == http.StatusOK {
				return
			}
			if e.Code != code {
				t.Errorf("%v: code %q, want %q", body, e.Code, code)
			}
			if e.Field != field {
				t.Errorf("%v: field %q, want %q", body, e.Field, field)
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
