package glow_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// startGlow serves Glow from an in-memory emulator that accepts token.
func startGlow(token string) (url string, stop func()) {
	s, err := emulator.New(emulator.Config{GlowTokens: []emulator.GlowToken{{Token: token, ActorName: "example"}}})
	if err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	return hs.URL, func() { hs.Close(); _ = s.Close() }
}

// Create a provider, then read every provider back. Search is an
// iterator: it fetches the next page only when the loop reaches it.
func ExampleClient_CreateProviders() {
	url, stop := startGlow("example-token")
	defer stop()
	c, err := glow.New(url, sensitive.New("example-token"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	created, err := c.CreateProviders(ctx, []glow.ProviderInput{{Name: "OpenAI Production", Values: map[string]string{"timeout_s": "30"}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", created[0].Name, "at version", created[0].Version)
	for p, err := range c.Search(ctx, glow.SearchRequest{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("found", p.Name, p.Values["timeout_s"])
	}
	// Output:
	// created OpenAI Production at version 1
	// found OpenAI Production 30
}

// An update guarded by the version it was based on fails with
// api.ErrConflict when someone changed the provider in between.
func ExampleClient_UpdateProvider() {
	url, stop := startGlow("example-token")
	defer stop()
	c, err := glow.New(url, sensitive.New("example-token"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	created, err := c.CreateProviders(ctx, []glow.ProviderInput{{Name: "Anthropic"}})
	if err != nil {
		log.Fatal(err)
	}
	id, read := created[0].ProviderID, created[0].Version
	desc := "changed by someone else"
	if _, err := c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: id, ExpectedVersion: &read, Patch: glow.Patch{Description: &desc}}); err != nil {
		log.Fatal(err)
	}
	mine := "my change"
	_, err = c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: id, ExpectedVersion: &read, Patch: glow.Patch{Description: &mine}})
	var ae *api.Error
	fmt.Println(errors.Is(err, api.ErrConflict), errors.As(err, &ae) && ae.Code == api.CodeVersionConflict)
	// Output:
	// true true
}
