package gateflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// fuzzCredential is sent by Configure and UpdateCredentials; no error may
// quote it.
const fuzzCredential = "sk-ant-FUZZ-CREDENTIAL-71c4"

var fuzzCreds = map[string]sensitive.String{"api_key": sensitive.New(fuzzCredential)}

// fuzzCalls are the client's method classes, one per answer shape.
var fuzzCalls = []struct {
	name string
	call func(ctx context.Context, c *gateflow.Client) error
}{
	{"list", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.List(ctx)
		return err
	}},
	{"configure", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Configure(ctx, catalogue.OpenAI, fuzzCreds, map[string]any{"timeout_ms": 30000})
		return err
	}},
	{"get", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Get(ctx, catalogue.OpenAI)
		return err
	}},
	{"update settings", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"default_model": nil})
		return err
	}},
	{"update credentials", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.UpdateCredentials(ctx, catalogue.Anthropic, fuzzCreds)
		return err
	}},
	{"test", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Test(ctx, catalogue.OpenAI)
		return err
	}},
	{"disable", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Disable(ctx, catalogue.OpenAI)
		return err
	}},
	{"enable", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Enable(ctx, catalogue.OpenAI)
		return err
	}},
	{"delete", func(ctx context.Context, c *gateflow.Client) error {
		return c.Delete(ctx, catalogue.OpenAI)
	}},
}

func FuzzGateflowDecode(f *testing.F) {
	huge := "[" + strings.Repeat(`{"id":"openai","name":"OpenAI","models":["a","b"]},`, 200) + `{}]`
	seeds := [][]byte{
		nil,
		[]byte("{"),
		[]byte(`{"providers": ` + huge + `}`),
		[]byte(`{"providers": [{"id": 1, "health": "green", "models": "gpt"}]}`),
		[]byte(`{"id": "openai", "configured": "yes", "settings": [1], "configured_at": "yesterday"}`),
		[]byte(`{"id": "openai", "credentials_updated_at": 12, "status": null}`),
		[]byte(`{"test_result": {"ok": true}, "latency_ms": 1e400}`),
		[]byte(`{"error": {"code": "invalid_credentials", "message": "api_key must start with sk-", "field": "credentials.api_key"}}`),
		[]byte(`{"error": "invalid"}`),
		[]byte("<html><body><h1>Service Unavailable</h1></body></html>"),
		[]byte("\x00\xff garbage"),
		[]byte(`null`),
		[]byte(strings.Repeat(`{"a":`, 2000)),
	}
	for i, body := range seeds {
		f.Add(uint8(i), uint8(0), body)
		f.Add(uint8(i+3), uint8(i), body)
	}
	srv := apitest.NewFuzzServer(f)
	c, err := gateflow.New(srv.URL, sensitive.New(adminKey), api.WithRetryMax(0), api.WithTimeout(2*time.Second))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op, status uint8, body []byte) {
		fc := fuzzCalls[int(op)%len(fuzzCalls)]
		st := apitest.FuzzStatuses[int(status)%len(apitest.FuzzStatuses)]
		srv.Set(st, body)
		apitest.CheckFuzzError(t, "gateflow", fc.name, st, body, fc.call(context.Background(), c), adminKey, fuzzCredential)
	})
}
