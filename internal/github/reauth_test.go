package github

import (
	"context"
	"testing"
)

// TestTokenEndedEarly: GitHub ends the installation token before the expiry
// it announced; the next read and the next write (a body to resend) each
// succeed at once with a new token, minted once.
func TestTokenEndedEarly(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	n := e.requestIssue(t)
	const tokens = "POST /app/installations/{installation_id}/access_tokens"
	tests := []struct {
		name string
		call func() error
	}{
		{"read", func() error { _, err := e.client.TeamExists(ctx, "acme", "none"); return err }},
		{"write", func() error {
			_, err := e.client.UpsertComment(ctx, "acme", "golden-paths", n, "request", "Checking…")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil { // a valid token in hand
				t.Fatal(err)
			}
			before := e.sim.Counts().ByRoute[tokens]
			if e.sim.ExpireTokens() == 0 {
				t.Fatal("no token to end")
			}
			if err := tt.call(); err != nil {
				t.Fatalf("after the token ended: %v", err)
			}
			if got := e.sim.Counts().ByRoute[tokens] - before; got != 1 {
				t.Errorf("%d tokens minted after the token ended, want 1", got)
			}
		})
	}
	if cs := e.sim.Comments("acme", "golden-paths", n); len(cs) != 1 {
		t.Errorf("%d comments, want 1 (the resent write made one)", len(cs))
	}
}
