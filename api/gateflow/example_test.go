package gateflow_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// startGateflow serves Gateflow from an in-memory emulator that accepts
// adminKey.
func startGateflow(adminKey string) (url string, stop func()) {
	s, err := emulator.New(emulator.Config{GateflowAdminKeys: []emulator.AdminKey{{Key: adminKey}}})
	if err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	return hs.URL, func() { hs.Close(); _ = s.Close() }
}

// Configure a provider's credentials and settings. The answer's ETag
// guards the next write: IfMatch makes it fail with
// api.ErrPreconditionFailed if the provider changed in between.
func ExampleClient_Configure() {
	url, stop := startGateflow("gw_admin_example")
	defer stop()
	c, err := gateflow.New(url, sensitive.New("gw_admin_example"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	res, err := c.Configure(ctx, catalogue.OpenAI,
		map[string]sensitive.String{"api_key": sensitive.New("sk-example-0001")},
		map[string]any{"default_model": "gpt-5.2"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.ID, "configured:", res.Configured)

	// Someone else changes the settings; a write guarded by the first
	// answer's tag is refused instead of overwriting their change.
	if _, err := c.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"default_model": "gpt-5.2-mini"}); err != nil {
		log.Fatal(err)
	}
	_, err = c.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"default_model": "gpt-5.2"}, gateflow.IfMatch(res.ETag))
	fmt.Println("stale write refused:", errors.Is(err, api.ErrPreconditionFailed))
	// Output:
	// openai configured: true
	// stale write refused: true
}

// List yields every provider Gateflow knows, configured or not, in its
// catalogue's order.
func ExampleClient_List() {
	url, stop := startGateflow("gw_admin_example")
	defer stop()
	c, err := gateflow.New(url, sensitive.New("gw_admin_example"))
	if err != nil {
		log.Fatal(err)
	}
	ps, err := c.List(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		fmt.Println(p.ID, p.Configured)
	}
}
