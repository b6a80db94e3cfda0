package request

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/adoption"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// handoff records the adoption requests the workflow accepted: the
// adoption workflow's own behaviour is tested end to end in internal/app.
type handoff struct {
	mu   sync.Mutex
	reqs []adoption.Request
}

func (h *handoff) Start(_ context.Context, req adoption.Request) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, req)
	return nil
}

func adoptionBody(t *testing.T) string {
	t.Helper()
	set, err := template.LoadRepo(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	return issueform.RenderAdoptionBody(set["go-service"].Manifest, []string{"billing", "acme/ledger", "topic:payments"}, map[string]any{"system": "payments"})
}

// TestAdoptionRequests: an adoption issue, labelled or recognised by its
// Repositories heading, passes the request policy (membership, approval)
// and is handed to the adoption workflow once, with its repositories, the
// answers given and the newest version; it is never read as a request
// for a new repository.
func TestAdoptionRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		policy     string
		author     string
		labels     []string
		approve    string // who comments /approve afterwards
		wantStarts int
		wantInBot  string // the bot's one comment says this ("" no comment)
	}{
		{name: "labelled", author: "alice", labels: []string{"goldenpath", LabelAdopt, "template:go-service"}, wantStarts: 1},
		{name: "labels dropped: the Repositories heading", author: "alice", wantStarts: 1},
		{name: "not a member", author: "mallory", labels: []string{"goldenpath", LabelAdopt, "template:go-service"}, wantInBot: "member"},
		{name: "waits for approval", policy: approvalPolicy, author: "alice", labels: []string{"goldenpath", LabelAdopt, "template:go-service"}, wantInBot: "/approve"},
		{name: "approved", policy: approvalPolicy, author: "alice", labels: []string{"goldenpath", LabelAdopt, "template:go-service"}, approve: "bob", wantStarts: 1, wantInBot: "/approve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.policy)
			h := &handoff{}
			w.wf.cfg.Adopter = h
			ev := w.open(tc.author, adoptionBody(t), tc.labels...)
			mustNil(t, w.wf.HandleIssue(ctx, ev))
			mustNil(t, w.wf.HandleIssue(ctx, ev)) // a redelivery
			if tc.approve != "" {
				mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, tc.approve, "/approve")))
			}
			if len(h.reqs) != tc.wantStarts {
				t.Fatalf("%d adoptions started, want %d: %+v", len(h.reqs), tc.wantStarts, h.reqs)
			}
			if tc.wantStarts > 0 {
				r := h.reqs[0]
				if r.Template != "go-service" || r.Tag != "go-service/v1.2.0" || r.Issue != ev.Number || r.Org != testOrg ||
					!slices.Equal(r.Repositories.Names, []string{"billing", "ledger"}) || !slices.Equal(r.Repositories.Topics, []string{"payments"}) ||
					r.Given["system"] != "payments" {
					t.Errorf("adoption request %+v", r)
				}
			}
			if len(w.repos()) != 0 {
				t.Errorf("an adoption request created repositories %v", w.repos())
			}
			cs := w.botComments(ev.Number)
			switch {
			case tc.wantInBot == "" && len(cs) != 0:
				t.Errorf("the request workflow commented %q; the adoption workflow keeps the comment", cs)
			case tc.wantInBot != "":
				if len(cs) != 1 {
					t.Fatalf("%d bot comments, want 1: %q", len(cs), cs)
				}
				mustContain(t, "the comment", cs[0], tc.wantInBot)
			}
		})
	}
}
