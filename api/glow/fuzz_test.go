package glow_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// fuzzKeyValue is sent in CreateKeys; no error may quote it.
const fuzzKeyValue = "sk-FUZZ-KEY-VALUE-93b1"

// fuzzCalls are the client's method classes, one per answer shape.
var fuzzCalls = []struct {
	name string
	call func(ctx context.Context, c *glow.Client) error
}{
	{"create providers", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateProviders(ctx, []glow.ProviderInput{{Name: "a"}, {Name: "b"}})
		return err
	}},
	{"get provider", func(ctx context.Context, c *glow.Client) error {
		_, err := c.GetProvider(ctx, "p1")
		return err
	}},
	{"update provider", func(ctx context.Context, c *glow.Client) error {
		_, err := c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1"})
		return err
	}},
	{"bulk update", func(ctx context.Context, c *glow.Client) error {
		_, err := c.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{"p1"}}})
		return err
	}},
	{"duplicate provider", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DuplicateProvider(ctx, "p1")
		return err
	}},
	{"delete providers", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteProviders(ctx, []string{"p1", "p2"})
		return err
	}},
	{"bulk delete", func(ctx context.Context, c *glow.Client) error {
		_, err := c.BulkDelete(ctx, glow.Selector{All: true})
		return err
	}},
	{"decrypt", func(ctx context.Context, c *glow.Client) error {
		_, err := c.Decrypt(ctx, "p1", "k1")
		return err
	}},
	{"export", func(ctx context.Context, c *glow.Client) error {
		return c.Export(ctx, glow.SearchRequest{}, io.Discard)
	}},
	{"draft", func(ctx context.Context, c *glow.Client) error {
		_, err := c.Draft(ctx, glow.DraftRequest{ProviderID: "p1"})
		return err
	}},
	{"publish", func(ctx context.Context, c *glow.Client) error {
		_, err := c.Publish(ctx, glow.PublishRequest{DraftID: "d1"})
		return err
	}},
	{"list drafts", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.ListDrafts(ctx))
		return err
	}},
	{"search", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.Search(ctx, glow.SearchRequest{}))
		return err
	}},
	{"create endpoints", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://x.test"}})
		return err
	}},
	{"list endpoints", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.ListEndpoints(ctx))
		return err
	}},
	{"delete endpoints", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteEndpoints(ctx, []string{"e1"})
		return err
	}},
	{"create keys", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateKeys(ctx, []glow.KeyInput{{Name: "k", Value: sensitive.New(fuzzKeyValue)}})
		return err
	}},
	{"list keys", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.ListKeys(ctx))
		return err
	}},
	{"delete keys", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteKeys(ctx, []string{"k1"})
		return err
	}},
	{"create models", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateModels(ctx, []glow.ModelInput{{Name: "m", ProviderID: "p1"}})
		return err
	}},
	{"search models", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.SearchModels(ctx))
		return err
	}},
	{"delete models", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteModels(ctx, []string{"m1"})
		return err
	}},
}

// fuzzSeeds are answers real servers and proxies send by mistake.
func fuzzSeeds() [][]byte {
	huge := "[" + strings.Repeat(`{"provider_id":"p","name":"n"},`, 200) + `{}]`
	return [][]byte{
		nil,
		[]byte("{"),
		[]byte(`{"provider": {"provider_id": "p1", "version": "three"}}`),
		[]byte(`{"providers": [{"provider_id": 1}], "next_page_token": 7}`),
		[]byte(`{"providers": ` + huge + `}`),
		[]byte(`{"results": ` + huge + `, "next_page_token": "t"}`),
		[]byte(`{"keys": null, "endpoints": {"current": "x"}}`),
		[]byte(`{"value": {"nested": true}, "key_id": []}`),
		[]byte(`{"error": {"code": 5, "message": ["x"]}}`),
		[]byte(`{"error": {"code": "version_conflict", "message": "expected version 3, server has 4", "field": "expected_version"}}`),
		[]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"),
		[]byte("\x00\xff\xfe garbage \x1b[31m"),
		[]byte(`[1, 2, 3]`),
		[]byte(`"just a string"`),
		[]byte(`{"providers": [], "next_page_token": "same"}`),
		[]byte(strings.Repeat("[", 2000)),
	}
}

func FuzzGlowDecode(f *testing.F) {
	for i, body := range fuzzSeeds() {
		f.Add(uint8(i), uint8(0), body)
		f.Add(uint8(i+7), uint8(i), body)
	}
	srv := apitest.NewFuzzServer(f)
	c, err := glow.New(srv.URL, sensitive.New(testToken), api.WithRetryMax(0), api.WithTimeout(2*time.Second))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op, status uint8, body []byte) {
		fc := fuzzCalls[int(op)%len(fuzzCalls)]
		st := apitest.FuzzStatuses[int(status)%len(apitest.FuzzStatuses)]
		srv.Set(st, body)
		err := fc.call(context.Background(), c)
		apitest.CheckFuzzError(t, "glow", fc.name, st, body, err, testToken, fuzzKeyValue)
	})
}
