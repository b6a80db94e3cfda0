package request

import (
	"context"
	"strings"
	"testing"
)

// TestOwnerTeamRule: a requester names as owner a team they belong to; a
// team they are not in only when goldenpath.yaml allows any owner team or
// they are an approver. A refusal is a problem on the issue, asking for
// changes, and creates nothing.
func TestOwnerTeamRule(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, policy, author string
		wantCreated          bool
		wantComment          []string
	}{
		{name: "member of the owner team", author: "alice", wantCreated: true},
		{name: "not a member: refused", author: "carol",
			wantComment: []string{"**Owning team**: @carol is not a member of `@acme/team-payments`", "maintain access", "anyOwnerTeam"}},
		{name: "not a member, but the policy allows any owner team", policy: "requesters: {anyOwnerTeam: true}\n", author: "carol", wantCreated: true},
		{name: "an approver may name another team", policy: "approval: {required: false, approvers: platform}\n", author: "bob", wantCreated: true},
		{name: "approvers named, requester not one of them", policy: "approval: {required: false, approvers: platform}\n", author: "carol",
			wantComment: []string{"@carol is not a member of `@acme/team-payments`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.policy)
			ev := w.open(tt.author, readBody(t, "go-service-valid.md"), "template:go-service")
			mustNil(t, w.wf.HandleIssue(ctx, ev))
			r, created := w.sim.Repo(testOrg, "payments-api")
			if created != tt.wantCreated {
				t.Fatalf("repository created = %v, want %v; comments: %v", created, tt.wantCreated, w.botComments(ev.Number))
			}
			if created && r.TeamPerms["team-payments"] != "maintain" {
				t.Errorf("owner team access %v, want maintain", r.TeamPerms)
			}
			if !created {
				comments := w.botComments(ev.Number)
				if len(comments) != 1 {
					t.Fatalf("want one bot comment, got %v", comments)
				}
				mustContain(t, "comment", comments[0], tt.wantComment...)
				if labels := strings.Join(w.issue(ev.Number).Labels, ","); !strings.Contains(labels, LabelNeedsChanges) {
					t.Errorf("labels %s lack %s", labels, LabelNeedsChanges)
				}
			}
		})
	}
}
