package vaulttest

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
)

// Agent stands in for Vault Agent's proxy mode: it forwards every request
// to a Vault and adds the token there, as the agent's auto-auth does. It
// counts the requests, and those that arrived with a token of their own
// (which a client of an agent should not send).
type Agent struct {
	URL              string
	Total, WithToken atomic.Int32
}

// StartAgent proxies to the Vault at addr with token; it stops with t.
func StartAgent(t testing.TB, addr, token string) *Agent {
	t.Helper()
	target, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{}
	srv := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		a.Total.Add(1)
		if pr.In.Header.Get("X-Vault-Token") != "" {
			a.WithToken.Add(1)
		}
		pr.Out.Header.Set("X-Vault-Token", token)
	}})
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}
