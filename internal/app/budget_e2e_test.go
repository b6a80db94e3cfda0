package app_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/app"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/request"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// TestRequestBudget: one go-service request costs at most 12 GitHub
// requests (token creation aside) and sends no write twice, on the replica
// that worked the installation (warm) and on a second replica that shares
// only the database (its memory is empty: the shared cache answers the tags
// and the template archive). A new process on an empty database is measured
// and logged.
func TestRequestBudget(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		// The fleet dashboard is refreshed in batches, for many requests at
		// once; it is kept out of one request's bill (its own cost is
		// measured in internal/upgrade).
		// So is the fleet reconcile, which River starts whenever leader
		// election settles — possibly in the middle of a measurement.
		w := newWorld(t, d, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
		w.Sim.ResetCounts()
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
		w.wantWithinBudget("warm replica", budget)

		// The second replica and the cold process are handed the delivery
		// themselves: the first replica, whose workers share the queue,
		// must not see it, so deliveries go elsewhere from now on.
		elsewhere := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusAccepted) }))
		t.Cleanup(elsewhere.Close)
		w.Sim.SetWebhook(elsewhere.URL, "another-secret")
		second := w.replica(w.App.Config.DatabaseURL)
		n = w.requestTo(second, "payments-two")
		w.wantCreated(n, "payments-two")
		w.wantWithinBudget("second replica", budget)

		// Tags, goldenpath.yaml and the archive from GitHub.
		cold := w.replica(storetest.URL(t, d))
		n = w.requestTo(cold, "payments-three")
		if is := w.issue(n); is.State != "closed" || !has(is.Labels, "goldenpath:created") {
			t.Errorf("cold process: issue #%d is %s with %v", n, is.State, is.Labels)
		}
		w.wantWithinBudget("cold process", budget+3)
	})
}

// budget is the most GitHub requests one go-service request may cost.
const budget = 12

// wantWithinBudget checks the GitHub requests since the last reset (token
// creation aside) against limit, and that no write was sent twice; then
// resets the counts.
func (w *world) wantWithinBudget(who string, limit int) {
	w.t.Helper()
	const tokens = "POST /app/installations/{installation_id}/access_tokens"
	c := w.Sim.Counts()
	calls := c.Total - c.ByRoute[tokens]
	w.t.Logf("one go-service request, %s: %d GitHub requests: %v", who, calls, c.ByRoute)
	if calls > limit {
		w.t.Errorf("%s: one request took %d GitHub requests, budget %d: %v", who, calls, limit, c.ByRoute)
	}
	for route, k := range c.ByRoute {
		if !strings.HasPrefix(route, "GET ") && k > 1 && route != tokens {
			w.t.Errorf("%s: write %s sent %d times", who, route, k)
		}
	}
	w.Sim.ResetCounts()
}

// replica is another goldenpath process on databaseURL, with nothing in
// memory; its workers are not started (the test hands it events).
func (w *world) replica(databaseURL string) *app.App {
	w.t.Helper()
	cfg := w.App.Config
	cfg.DatabaseURL = databaseURL
	a, err := app.New(w.ctx, app.Options{
		Config:       cfg,
		Logger:       slog.New(slog.NewJSONHandler(testWriter{w.t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		GitHubPolicy: github.Policy{Pacing: github.Pacing{MinGap: 20 * time.Millisecond}},
	})
	if err != nil {
		w.t.Fatalf("starting another replica: %v", err)
	}
	w.t.Cleanup(func() { a.Close() })
	return a
}

// requestTo files a go-service request (webhooks off) and has the replica
// work its issues.opened delivery. The counts are reset just before.
func (w *world) requestTo(a *app.App, name string) int {
	w.t.Helper()
	n, err := w.FileRequest(sandbox.BuiltinTemplates(), "go-service", developer, goAnswers(name))
	if err != nil {
		w.t.Fatalf("filing the request: %v", err)
	}
	w.Sim.WaitDeliveries()
	var ev request.IssueEvent
	found := false
	for _, d := range w.Sim.Deliveries() {
		if d.Event != "issues" || d.Action != "opened" {
			continue
		}
		if e, err := request.DecodeIssueEvent(d.Payload); err == nil && e.Number == n {
			ev, found = e, true
		}
	}
	if !found {
		w.t.Fatalf("no issues.opened delivery for #%d", n)
	}
	w.Sim.ResetCounts()
	if err := a.Requests.HandleIssue(w.ctx, ev); err != nil {
		w.t.Fatalf("working the request on another replica: %v", err)
	}
	return n
}
