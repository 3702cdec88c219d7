package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/api/glow"
)

// Seed is the format of a seed file (Config.SeedFile, `switchboard emulator
// --seed`): state loaded into an empty emulator at start, all in one
// transaction. Unknown fields are errors. Example: testdata/seed.json.
//
//	{
//	  "endpoints": [{"id": "ep-openai", "name": "OpenAI", "url": "https://api.openai.com/v1"}],
//	  "keys":      [{"id": "key-openai", "name": "OpenAI prod", "value": "sk-…"}],
//	  "providers": [{"id": "p-openai", "name": "OpenAI Production", "description": "…",
//	                 "department_ids": ["cs"], "endpoints": ["ep-openai"], "keys": ["OpenAI prod"],
//	                 "values": {"region": "us"}}],
//	  "models":    [{"name": "gpt-5", "provider": "p-openai"}],
//	  "gateflow":  [{"provider": "openai", "credentials": {"api_key": "sk-…"},
//	                 "settings": {"default_model": "gpt-5.2"}, "disabled": false}]
//	}
//
// Every id is optional (a random UUID is generated when absent). A provider
// refers to endpoints and keys, and a model to its provider, by id or by
// name. Providers follow the same rules as through the API (a name, unique
// per department; known endpoints and keys), Gateflow configurations the
// credential and setting rules of docs/api.md. Seeded endpoints and keys
// are unscoped: a scoped token reaches them only through a provider it sees.
type Seed struct {
	Endpoints []SeedEndpoint `json:"endpoints"`
	Keys      []SeedKey      `json:"keys"`
	Providers []SeedProvider `json:"providers"`
	Models    []SeedModel    `json:"models"`
	Gateflow  []SeedGateflow `json:"gateflow"`
}

// SeedEndpoint is a Glow endpoint of a seed.
type SeedEndpoint struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// SeedKey is a Glow key of a seed, with its value.
type SeedKey struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SeedProvider is a Glow provider of a seed. Endpoints and Keys hold ids or
// names of the seed's endpoints and keys.
type SeedProvider struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	DepartmentIDs []string          `json:"department_ids"`
	Endpoints     []string          `json:"endpoints"`
	Keys          []string          `json:"keys"`
	Values        map[string]string `json:"values"`
}

// SeedModel is a Glow model of a seed; Provider is a provider's id or name.
type SeedModel struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
}

// SeedGateflow is a configured Gateflow provider.
type SeedGateflow struct {
	Provider    string            `json:"provider"`
	Credentials map[string]string `json:"credentials"`
	Settings    map[string]any    `json:"settings"`
	Disabled    bool              `json:"disabled"`
}

// LoadSeedFile reads a seed file and loads it (see Seed).
func (s *Server) LoadSeedFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("emulator: seed: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var seed Seed
	if err := dec.Decode(&seed); err != nil {
		return fmt.Errorf("emulator: seed %s: %w", path, err)
	}
	if err := s.LoadSeed(seed); err != nil {
		return fmt.Errorf("emulator: seed %s: %w", path, err)
	}
	return nil
}

// LoadSeed adds a seed's state in one transaction: all of it or, on an
// error, none.
func (s *Server) LoadSeed(seed Seed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &seedLoad{
		s: s, t: &tx{}, at: now(),
		endpoints: map[string]string{}, keys: map[string]string{}, providers: map[string]string{},
		seen: map[string]bool{}, claimed: map[string]string{},
	}
	if err := l.addEndpoints(seed.Endpoints); err != nil {
		return err
	}
	if err := l.addKeys(seed.Keys); err != nil {
		return err
	}
	if err := l.addProviders(seed.Providers); err != nil {
		return err
	}
	if err := l.addModels(seed.Models); err != nil {
		return err
	}
	if err := l.addGateflow(seed.Gateflow); err != nil {
		return err
	}
	return s.commit(l.t)
}

// seedLoad is one LoadSeed: the transaction it fills, and what the seed
// has declared so far, which later parts refer to.
type seedLoad struct {
	s  *Server
	t  *tx
	at time.Time
	// endpoints, keys and providers map each record's id, and its name
	// (a provider's first), to its id.
	endpoints, keys, providers map[string]string
	// seen are the ids the seed gives, and gateflow:NAME for each Gateflow
	// provider it configures.
	seen map[string]bool
	// claimed are the seeded providers' name keys (nameKeys), to the id.
	claimed map[string]string
}

// fresh is the id of a new record: id, if no record has it yet, or a new
// one when id is empty.
func (l *seedLoad) fresh(id string) (string, error) {
	if id == "" {
		return newID(), nil
	}
	if l.seen[id] || l.s.exists(id) {
		return "", fmt.Errorf("id %s is used twice", id)
	}
	l.seen[id] = true
	return id, nil
}

func (l *seedLoad) addEndpoints(eps []SeedEndpoint) error {
	for i, e := range eps {
		f := fmt.Sprintf("endpoints[%d]", i)
		id, err := l.fresh(e.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if !strings.HasPrefix(e.URL, "http://") && !strings.HasPrefix(e.URL, "https://") {
			return fmt.Errorf("%s.url: must be an absolute http or https URL", f)
		}
		ep := &endpointRec{Endpoint: glow.Endpoint{ID: id, Name: e.Name, URL: e.URL, CreatedAt: l.at}}
		l.t.putEndpoint(ep)
		l.endpoints[id] = id
		if e.Name != "" {
			l.endpoints[e.Name] = id
		}
	}
	return nil
}

func (l *seedLoad) addKeys(keys []SeedKey) error {
	for i, k := range keys {
		f := fmt.Sprintf("keys[%d]", i)
		id, err := l.fresh(k.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if k.Name == "" || k.Value == "" {
			return fmt.Errorf("%s: name and value are required", f)
		}
		l.t.putKey(&keyRec{ID: id, Name: k.Name, Sealed: l.s.store.Seal([]byte(k.Value)), CreatedAt: l.at})
		l.keys[id] = id
		l.keys[k.Name] = id
	}
	return nil
}

// addProviders checks providers by the API's rules. Their endpoints and
// keys are not in memory before the commit, so those references are
// checked against the seed instead.
func (l *seedLoad) addProviders(providers []SeedProvider) error {
	unscoped := &caller{}
	for i, sp := range providers {
		f := fmt.Sprintf("providers[%d]", i)
		id, err := l.fresh(sp.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		p := &providerRec{ID: id, Name: sp.Name, Description: sp.Description, Departments: sp.DepartmentIDs,
			Values: sp.Values, Version: 1, CreatedAt: l.at, UpdatedAt: l.at}
		if p.Endpoints, err = resolveSeedRefs(l.endpoints, sp.Endpoints, f+".endpoints"); err != nil {
			return err
		}
		if p.Keys, err = resolveSeedRefs(l.keys, sp.Keys, f+".keys"); err != nil {
			return err
		}
		refsOnly := *p
		refsOnly.Endpoints, refsOnly.Keys = nil, nil
		if err := l.s.checkProvider(unscoped, &refsOnly, f+"."); err != nil {
			return err
		}
		if err := l.s.checkName(p, f+".name", l.claimed); err != nil {
			return err
		}
		for _, k := range nameKeys(p) {
			l.claimed[k] = id
		}
		l.t.putProvider(p)
		l.providers[id] = id
		if _, dup := l.providers[sp.Name]; !dup {
			l.providers[sp.Name] = id
		}
	}
	return nil
}

// resolveSeedRefs turns the ids or names in list into ids by byRef.
func resolveSeedRefs(byRef map[string]string, list []string, field string) ([]string, error) {
	out := make([]string, len(list))
	for i, ref := range list {
		id, ok := byRef[ref]
		if !ok {
			return nil, fmt.Errorf("%s[%d]: %q is not in the seed", field, i, ref)
		}
		out[i] = id
	}
	return out, nil
}

// addModels adds models of the seed's providers or of providers already
// in the emulator, by id.
func (l *seedLoad) addModels(models []SeedModel) error {
	for i, sm := range models {
		f := fmt.Sprintf("models[%d]", i)
		id, err := l.fresh(sm.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		pid, ok := l.providers[sm.Provider]
		if !ok {
			if _, live := l.s.st.providers.get(sm.Provider); !live {
				return fmt.Errorf("%s.provider: %q is not in the seed", f, sm.Provider)
			}
			pid = sm.Provider
		}
		if sm.Name == "" {
			return fmt.Errorf("%s.name: required", f)
		}
		l.t.putModel(&modelRec{ID: id, Name: sm.Name, ProviderID: pid, CreatedAt: l.at})
	}
	return nil
}

// addGateflow configures Gateflow providers by the API's credential and
// setting rules, each once.
func (l *seedLoad) addGateflow(gateflow []SeedGateflow) error {
	for i, g := range gateflow {
		f := fmt.Sprintf("gateflow[%d]", i)
		if _, ok := providerInfo[g.Provider]; !ok {
			return fmt.Errorf("%s.provider: %q is not a Gateflow provider", f, g.Provider)
		}
		if _, ok := l.s.st.gateflow[g.Provider]; ok || l.seen["gateflow:"+g.Provider] {
			return fmt.Errorf("%s: %s is configured twice", f, g.Provider)
		}
		l.seen["gateflow:"+g.Provider] = true
		if err := checkCredentials(g.Provider, g.Credentials, "credentials."); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		settings, err := asDecoded(g.Settings)
		if err != nil {
			return fmt.Errorf("%s.settings: %w", f, err)
		}
		if err := checkSettings(g.Provider, settings, false); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		at := l.at
		rec := &gateflowRec{ID: g.Provider, SealedCredentials: l.s.sealCredentials(g.Credentials), Settings: normalize(settings),
			Disabled: g.Disabled, ConfiguredAt: at, UpdatedAt: at, CredentialsUpdatedAt: at, EnabledAt: at}
		if g.Disabled {
			d := at
			rec.DisabledAt = &d
		}
		l.t.putGateflow(rec)
	}
	return nil
}

// exists reports whether id names any Glow record.
func (s *Server) exists(id string) bool {
	_, p := s.st.providers.get(id)
	_, e := s.st.endpoints.get(id)
	_, k := s.st.keys.get(id)
	_, m := s.st.models.get(id)
	return p || e || k || m
}

// asDecoded gives settings built in Go (ints, float64s) the shape a request
// body decodes to (json.Number), so that a seed from Go and a seed file are
// checked by the same rules.
func asDecoded(settings map[string]any) (map[string]any, error) {
	b, err := json.Marshal(settings)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	return out, dec.Decode(&out)
}
