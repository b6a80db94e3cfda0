package app_test

import (
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/adoption"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// TestAdoptionRefreshAfterDone: once an adoption issue is labelled and
// closed, further refreshes of its comment (a merged pull request, a
// redelivered job) read the issue and send no write when nothing changed:
// neither the label nor the close again.
func TestAdoptionRefreshAfterDone(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		w.existingRepo("billing", "Bills customers every month.", nil, map[string]string{
			"README.md": "# Billing\n", "CODEOWNERS": "* @acme/" + team + "\n",
		})
		n := w.fileAdoption([]string{"billing"}, map[string]any{"system": "billing"})
		w.settleAdoption(n)
		is := w.issue(n)
		if is.State != "closed" || !has(is.Labels, "goldenpath:created") {
			t.Fatalf("issue #%d is %s with %v, want closed with goldenpath:created", n, is.State, is.Labels)
		}
		w.Sim.ResetCounts()
		args := adoption.CommentArgs{InstallationID: w.Installation, Org: org, TemplatesRepo: w.TemplatesRepo, Issue: n}
		for i := range 3 {
			if err := w.App.Adoptions.RefreshComment(w.ctx, args); err != nil {
				t.Fatalf("refresh %d: %v", i+1, err)
			}
		}
		for route, k := range w.Sim.Counts().ByRoute {
			if !strings.HasPrefix(route, "GET ") && !strings.HasSuffix(route, "/access_tokens") {
				t.Errorf("three refreshes of a done adoption sent %s %d times, want none", route, k)
			}
		}
		if is := w.issue(n); is.State != "closed" || is.StateReason != "completed" || !has(is.Labels, "goldenpath:created") {
			t.Errorf("after the refreshes issue #%d is %s (%s) with %v", n, is.State, is.StateReason, is.Labels)
		}
		w.wantOneComment(n, "acme/billing#1")
	})
}
