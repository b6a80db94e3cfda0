package request

import (
	"context"
	"testing"
)

// TestCreatedRepositoryOwnership: the request that creates a repository
// records its ownership in the fleet index at once (the owner answer, the
// system and lifecycle, the answers), without waiting for the dashboard
// scan; with the owner team's id when the owner check looked the team up.
func TestCreatedRepositoryOwnership(t *testing.T) {
	tests := []struct {
		name, policy, author string
		wantID               bool // the team's id, not 0 (looked up by the next scan)
	}{
		{name: "requester in the owner team", author: "alice"},
		{name: "any owner team", policy: "requesters:\n  anyOwnerTeam: true\n", author: "bob", wantID: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.policy)
			ev := w.open(tc.author, readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
			mustNil(t, w.wf.HandleIssue(context.Background(), ev))
			fr, ok := w.fleetRepo("payments-api")
			if !ok {
				t.Fatal("payments-api is not in the fleet index")
			}
			o := fr.Ownership
			if o.Team != "team-payments" || o.Lifecycle != "production" || o.Answers == "" {
				t.Errorf("ownership %+v, want team-payments, production and the answers", o)
			}
			var want int64
			if tc.wantID {
				want = w.sim.TeamID(testOrg, "team-payments")
			}
			if o.TeamID != want {
				t.Errorf("owner team id %d, want %d", o.TeamID, want)
			}
		})
	}
}
