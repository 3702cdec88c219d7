package provider

import (
	"bytes"
	"context"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewServer returns the factory of protocol 6 servers for the provider
// that newProvider makes, each server holding one provider configuration.
//
// Terraform runs every provider configuration (every `alias`) in a process
// of its own, so one process is configured once. A provider it reattaches
// to instead (`-debug` with TF_REATTACH_PROVIDERS, or the in-process test
// harness) is one server for all of them, and the framework keeps only the
// configuration it received last: the resources of `switchboard.staging`
// would be applied to prod. A server therefore refuses a second
// configuration that differs from its first, before any resource runs.
func NewServer(newProvider func() provider.Provider) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		s, err := providerserver.NewProtocol6WithError(newProvider())()
		if err != nil {
			return nil, err
		}
		return &oneConfiguration{ProviderServer: s}, nil
	}
}

type oneConfiguration struct {
	tfprotov6.ProviderServer

	mu sync.Mutex
	// first is the provider block of the first ConfigureProvider, as
	// Terraform encoded it; nil until then.
	first []byte
}

func (s *oneConfiguration) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	var cfg []byte
	if req.Config != nil {
		// MsgPack is what Terraform sends; JSON only in old tests.
		cfg = append(append(cfg, req.Config.MsgPack...), req.Config.JSON...)
	}
	s.mu.Lock()
	switch {
	case s.first == nil:
		s.first = append([]byte{}, cfg...)
	case !bytes.Equal(s.first, cfg):
		s.mu.Unlock()
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: []*tfprotov6.Diagnostic{{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "One provider process for two provider configurations",
			Detail: "Terraform gave this switchboard provider a second, different configuration (another `alias`) in the same process, " +
				"which happens only when it reattaches to a provider started by hand (-debug, TF_REATTACH_PROVIDERS). " +
				"One process can't tell the two configurations' resources apart, so nothing was done. " +
				"Run Terraform without TF_REATTACH_PROVIDERS, so that it starts one provider process per configuration, " +
				"or debug with a single provider configuration.",
		}}}, nil
	}
	s.mu.Unlock()
	return s.ProviderServer.ConfigureProvider(ctx, req)
}
