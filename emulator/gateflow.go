package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
)

const typeCodeGateflow = "invalid_configuration"

// providerInfo is the Gateflow catalogue (package catalogue) by provider
// ID: names, models, settings and credential fields all come from there.
var providerInfo = func() map[string]catalogue.ProviderInfo {
	m := map[string]catalogue.ProviderInfo{}
	for _, id := range catalogue.ProviderIDs {
		m[id], _ = catalogue.Lookup(id)
	}
	return m
}()

// latencyOf is a stable, plausible latency for a provider.
func latencyOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return 80 + int(h.Sum32()%120)
}

func modelIDs(id string) []string { return providerInfo[id].ModelIDs() }

func (s *Server) health(g *gateflowRec) *gateflow.Health {
	if g == nil {
		return nil
	}
	up := 0.9995
	return &gateflow.Health{Status: "healthy", LatencyMS: latencyOf(g.ID), Uptime30d: &up, LastCheck: now().Truncate(time.Minute)}
}

func status(g *gateflowRec) string {
	switch {
	case g == nil:
		return gateflow.StatusInactive
	case g.Disabled:
		return gateflow.StatusDisabled
	}
	return gateflow.StatusActive
}

// etag is the entity tag of a provider: a digest of the fields of its
// persisted record that make up its settings, credentials, state and
// configuration, so that it changes with each of them and is the same after
// a restart without being stored. Credentials enter sealed: each sealing
// uses a fresh nonce, so a rotation changes the tag even within one
// microsecond, and the digest of a ciphertext says nothing of the secret.
func etag(id string, g *gateflowRec) string {
	h := sha256.New()
	if g == nil {
		fmt.Fprintf(h, "unconfigured\x00%s", id)
	} else {
		settings, _ := json.Marshal(g.Settings) // map keys sorted: canonical
		micros := func(t time.Time) {
			_ = binary.Write(h, binary.BigEndian, t.UnixMicro())
		}
		fmt.Fprintf(h, "configured\x00%s\x00%d:", g.ID, len(g.SealedCredentials))
		h.Write(g.SealedCredentials)
		fmt.Fprintf(h, "%d:", len(settings))
		h.Write(settings)
		fmt.Fprintf(h, "\x00%t", g.Disabled)
		micros(g.ConfiguredAt)
		micros(g.UpdatedAt)
		micros(g.CredentialsUpdatedAt)
		micros(g.EnabledAt)
		if g.DisabledAt != nil {
			micros(*g.DisabledAt)
		}
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// checkIfMatch applies the request's If-Match to the provider as it is now
// (g nil: not configured). Absent, the write is unconditional. "*" matches
// a configured provider; otherwise one of the listed tags must be the
// current one, compared strongly, so a weak W/ tag never matches.
func checkIfMatch(r *http.Request, id string, g *gateflowRec) error {
	lines := r.Header.Values("If-Match")
	if len(lines) == 0 {
		return nil
	}
	cur := etag(id, g)
	for _, line := range lines {
		for _, tag := range strings.Split(line, ",") {
			tag = strings.TrimSpace(tag)
			if tag == cur || (tag == "*" && g != nil) {
				return nil
			}
		}
	}
	return errf(http.StatusPreconditionFailed, "precondition_failed", "",
		"provider %s changed since the ETag given in If-Match; read it again", id)
}

// catalogued finds the provider of the path, 404 for an unknown id.
func catalogued(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if _, ok := providerInfo[id]; !ok {
		return "", notFound("", "provider %q not found; supported: %s", id, strings.Join(catalogue.ProviderIDs, ", "))
	}
	return id, nil
}

// configured finds the configuration of the path's provider, 404 when it
// has none.
func (s *Server) configured(r *http.Request) (*gateflowRec, error) {
	id, err := catalogued(r)
	if err != nil {
		return nil, err
	}
	g, ok := s.st.gateflow[id]
	if !ok {
		return nil, notFound("", "provider %s is not configured", id)
	}
	return g, nil
}

func (s *Server) gateList(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := gateflow.ListResponse{Providers: []gateflow.ProviderSummary{}}
	for _, id := range catalogue.ProviderIDs {
		g := s.st.gateflow[id]
		sum := gateflow.ProviderSummary{ID: id, Name: providerInfo[id].Name, Status: status(g), Configured: g != nil, Models: []string{}, Health: s.health(g)}
		if g != nil {
			sum.Models = modelIDs(id)
		}
		out.Providers = append(out.Providers, sum)
	}
	return out, nil
}

func (s *Server) gateProvider(id string) gateflow.Provider {
	g := s.st.gateflow[id]
	p := gateflow.Provider{
		ID: id, Name: providerInfo[id].Name, Status: status(g), Configured: g != nil,
		Settings: map[string]any{}, Models: []gateflow.Model{}, Health: s.health(g),
	}
	if g == nil {
		return p
	}
	p.ConfiguredAt, p.UpdatedAt, p.CredentialsUpdatedAt = &g.ConfiguredAt, &g.UpdatedAt, &g.CredentialsUpdatedAt
	p.DisabledAt = g.DisabledAt
	p.Settings = maps.Clone(g.Settings)
	if p.Settings == nil {
		p.Settings = map[string]any{}
	}
	for _, m := range providerInfo[id].Models {
		// The emulator's models never go down: each is available.
		p.Models = append(p.Models, gateflow.Model{ID: m.ID, Type: m.Type, Available: true})
	}
	p.Usage = &gateflow.Usage{}
	return p
}

// checkCredentials applies the catalogue's credential fields: unknown
// names, a missing or empty required field and a wrong prefix are 422.
func checkCredentials(id string, creds map[string]string, prefix string) error {
	info := providerInfo[id]
	bad := func(field, format string, args ...any) error {
		return errf(http.StatusUnprocessableEntity, "invalid_credentials", prefix+field, format, args...)
	}
	for _, k := range slices.Sorted(maps.Keys(creds)) {
		if _, ok := info.Credential(k); !ok {
			return bad(k, "%s%s is not a credential of %s; its credentials are %s", prefix, k, id, strings.Join(info.CredentialNames(), ", "))
		}
	}
	for _, c := range info.Credentials {
		v, ok := creds[c.Name]
		switch {
		case c.Required && (!ok || v == ""):
			return bad(c.Name, "%s%s is required", prefix, c.Name)
		case ok && c.Prefix != "" && !strings.HasPrefix(v, c.Prefix):
			return bad(c.Name, "an %s %s starts with %q", info.Name, c.Name, c.Prefix)
		}
	}
	return nil
}

// checkSettings checks names and types against the catalogue; a nil value
// (a removal) is allowed when allowNull.
func checkSettings(id string, settings map[string]any, allowNull bool) error {
	info := providerInfo[id]
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		field := "settings." + k
		setting, ok := info.Setting(k)
		if !ok {
			return badInput("invalid_configuration", field, "%s is not a setting of %s; its settings are %s", field, id, strings.Join(info.SettingNames(), ", "))
		}
		v := settings[k]
		if v == nil {
			if allowNull {
				continue
			}
			return badInput("invalid_configuration", field, "%s must not be null", field)
		}
		if !setting.Accepts(v) {
			return badInput("invalid_configuration", field, "%s must be %s", field, setting.Expected())
		}
	}
	return nil
}

// normalize turns json.Numbers into float64s, as a JSON round trip would.
func normalize(settings map[string]any) map[string]any {
	out := make(map[string]any, len(settings))
	for k, v := range settings {
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			v = f
		}
		out[k] = v
	}
	return out
}

// decodeSettings decodes the settings object of a body keeping numbers
// exact.
func settingsOf(raw map[string]any) map[string]any {
	m, _ := raw["settings"].(map[string]any)
	return m
}

func (s *Server) sealCredentials(creds map[string]string) []byte {
	data, _ := json.Marshal(creds)
	return s.store.Seal(data)
}

func (s *Server) gateConfigure(r *http.Request) (any, error) {
	var req gateflow.ConfigureRequest
	raw, err := decodeBody(r, &req, typeCodeGateflow)
	if err != nil {
		return nil, err
	}
	if req.Provider == "" {
		return nil, badInput("missing_field", "provider", "provider is required")
	}
	if _, ok := providerInfo[req.Provider]; !ok {
		return nil, notFound("provider", "provider %q not found; supported: %s", req.Provider, strings.Join(catalogue.ProviderIDs, ", "))
	}
	if !has(raw, "credentials") {
		return nil, badInput("missing_field", "credentials", "credentials is required")
	}
	settings := settingsOf(raw)
	if err := checkSettings(req.Provider, settings, false); err != nil {
		return nil, err
	}
	if err := checkCredentials(req.Provider, req.Credentials, "credentials."); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkIfMatch(r, req.Provider, s.st.gateflow[req.Provider]); err != nil {
		return nil, err
	}
	if _, ok := s.st.gateflow[req.Provider]; ok {
		return nil, errf(http.StatusConflict, "already_configured", "provider",
			"provider %s is already configured; change it with PATCH and /credentials", req.Provider)
	}
	at := now()
	g := &gateflowRec{
		ID: req.Provider, SealedCredentials: s.sealCredentials(req.Credentials), Settings: normalize(settings),
		ConfiguredAt: at, UpdatedAt: at, CredentialsUpdatedAt: at, EnabledAt: at,
	}
	t := &tx{}
	t.putGateflow(g)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return tagged{gateflow.ConfigureResponse{
		ID: g.ID, Name: providerInfo[g.ID].Name, Status: status(g), Configured: true,
		ConfiguredAt: g.ConfiguredAt, Models: modelIDs(g.ID),
	}, etag(g.ID, g)}, nil
}

func (s *Server) gateGet(r *http.Request) (any, error) {
	id, err := catalogued(r)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return tagged{s.gateProvider(id), etag(id, s.st.gateflow[id])}, nil
}

func (s *Server) gateUpdate(r *http.Request) (any, error) {
	var req gateflow.UpdateRequest
	raw, err := decodeBody(r, &req, typeCodeGateflow)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.configured(r)
	if err != nil {
		return nil, err
	}
	if !has(raw, "settings") {
		return nil, badInput("missing_field", "settings", "settings is required")
	}
	patch := settingsOf(raw)
	if err := checkSettings(g.ID, patch, true); err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, g.ID, g); err != nil {
		return nil, err
	}
	ng := *g
	ng.Settings = maps.Clone(g.Settings)
	if ng.Settings == nil {
		ng.Settings = map[string]any{}
	}
	for k, v := range normalize(patch) {
		if v == nil {
			delete(ng.Settings, k)
		} else {
			ng.Settings[k] = v
		}
	}
	ng.UpdatedAt = now()
	t := &tx{}
	t.putGateflow(&ng)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return tagged{s.gateProvider(g.ID), etag(g.ID, &ng)}, nil
}

func (s *Server) gateCredentials(r *http.Request) (any, error) {
	var creds map[string]string
	if _, err := decodeBody(r, &creds, typeCodeGateflow); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.configured(r)
	if err != nil {
		return nil, err
	}
	if err := checkCredentials(g.ID, creds, ""); err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, g.ID, g); err != nil {
		return nil, err
	}
	ng := *g
	at := now()
	ng.SealedCredentials = s.sealCredentials(creds)
	ng.CredentialsUpdatedAt, ng.UpdatedAt = at, at
	t := &tx{}
	t.putGateflow(&ng)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return tagged{gateflow.CredentialsResponse{ID: ng.ID, CredentialsUpdatedAt: at, Status: status(&ng)}, etag(ng.ID, &ng)}, nil
}

func (s *Server) gateTest(r *http.Request) (any, error) {
	if _, err := readBody(r); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.configured(r)
	if err != nil {
		return nil, err
	}
	out := gateflow.TestResult{ID: g.ID, TestResult: "success", LatencyMS: latencyOf(g.ID) + 25, ModelsAvailable: len(providerInfo[g.ID].Models), TestedAt: now()}
	if g.Disabled {
		out.TestResult, out.LatencyMS, out.ModelsAvailable = "failure", 0, 0
		out.Error = fmt.Sprintf("provider %s is disabled", g.ID)
	}
	return out, nil
}

func (s *Server) setDisabled(r *http.Request, disabled bool) (any, error) {
	if _, err := readBody(r); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.configured(r)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, g.ID, g); err != nil {
		return nil, err
	}
	if g.Disabled != disabled {
		ng := *g
		at := now()
		ng.Disabled, ng.UpdatedAt = disabled, at
		if disabled {
			ng.DisabledAt = &at
		} else {
			ng.DisabledAt, ng.EnabledAt = nil, at
		}
		t := &tx{}
		t.putGateflow(&ng)
		if err := s.commit(t); err != nil {
			return nil, err
		}
		g = &ng
	}
	out := gateflow.StateResponse{ID: g.ID, Status: status(g), DisabledAt: g.DisabledAt}
	if !disabled {
		at := g.EnabledAt
		out.EnabledAt = &at
	}
	return tagged{out, etag(g.ID, g)}, nil
}

func (s *Server) gateDisable(r *http.Request) (any, error) { return s.setDisabled(r, true) }
func (s *Server) gateEnable(r *http.Request) (any, error)  { return s.setDisabled(r, false) }

func (s *Server) gateDelete(r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.configured(r)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, g.ID, g); err != nil {
		return nil, err
	}
	t := &tx{}
	t.deleteGateflow(g.ID)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return tagged{nil, etag(g.ID, nil)}, nil
}
