package emulator

import (
	"bytes"
	"encoding/csv"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/api/glow"
)

// Search and export read the published providers a caller can see; they
// never show a draft, so they live apart from the draft cycle.
func (s *Server) glowSearch(r *http.Request, c *caller) (any, error) {
	var req glow.SearchRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := newFilter(req.Search, req.FilterDepartmentIDs)
	items, next, total, err := page(s.st.providers, req.PageSize, req.PageToken, true, func(p *providerRec) bool {
		return c.sees(p) && f.match(p)
	})
	if err != nil {
		return nil, err
	}
	out := glow.SearchResponse{Providers: make([]glow.Provider, 0, len(items)), NextPageToken: next, TotalCount: total}
	for _, p := range items {
		out.Providers = append(out.Providers, s.wireProvider(p))
	}
	return out, nil
}

func (s *Server) glowExport(r *http.Request, c *caller) (any, error) {
	var req glow.SearchRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	if req.PageSize != 0 {
		return nil, badInput("invalid_field", "page_size", "export takes no paging")
	}
	if req.PageToken != "" {
		return nil, badInput("invalid_field", "page_token", "export takes no paging")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"provider_id", "name", "description", "department_ids", "endpoint_ids", "key_ids", "values", "version", "model_usage_count"})
	f := newFilter(req.Search, req.FilterDepartmentIDs)
	for _, id := range s.st.providers.ids {
		p := s.st.providers.byID[id]
		if !c.sees(p) || !f.match(p) {
			continue
		}
		var values []string
		for _, k := range slices.Sorted(maps.Keys(p.Values)) {
			values = append(values, k+"="+p.Values[k])
		}
		_ = w.Write([]string{
			p.ID, p.Name, p.Description,
			strings.Join(p.Departments, ";"), strings.Join(p.Endpoints, ";"), strings.Join(p.Keys, ";"),
			strings.Join(values, ";"),
			strconv.FormatInt(p.Version, 10), strconv.Itoa(len(s.st.modelsByProvider[p.ID])),
		})
	}
	w.Flush()
	return rawBody{contentType: "text/csv; charset=utf-8", data: buf.Bytes()}, nil
}
