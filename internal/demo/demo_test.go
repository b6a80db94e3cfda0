package demo

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestDemo plays the whole demo, as `go run ./cmd/goldenpath demo` does, and
// checks that each step of the story happened.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	err := Run(t.Context(), Options{Dir: t.TempDir(), Out: &out, Log: io.Discard, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"issue #1 is closed (completed)",
		"acme/payments-api was created with",
		"catalog-info.yaml",
		".github/",
		"version: 1.0.0",
		"<!-- goldenpath:request -->",
		`"Upgrade go-service template to v1.1.0" from goldenpath/upgrade-go-service (draft: false)`,
		"+++ b/docs/runbook.md",
		"-version: 1.0.0",
		"+version: 1.1.0",
		"keeps alice's on-call line",
		"on go-service v1.1.0",
		"| v1.1.0 (newest) | 1: acme/payments-api |",
		"rate-limit violations: 0.",
		`"Adopt the go-service golden path (v1.0.0)" from goldenpath/upgrade-go-service`,
		"### Added",
		"- `catalog-info.yaml`",
		"### Kept as the repository has them",
		"- `Dockerfile`",
		"acme/billing is in the fleet on go-service v1.0.0",
		`reached the adopted acme/billing too: "Upgrade go-service template to v1.1.0"`,
		"+# Runbook of billing",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
