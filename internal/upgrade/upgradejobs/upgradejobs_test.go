package upgradejobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

var skeleton = map[string]string{"README.md": "# {{ .name }}\n", "config.yml": "name: {{ .name }}\nport: 8080\n"}

// scaffold makes repository name at 1.0.0 and records it in the fleet.
func scaffold(t *testing.T, sw *simworld.World, name string) {
	t.Helper()
	sw.Scaffold(name, "1.0.0", skeleton, template.Answers{"name": name, "owner": "team-x"}, "alice")
	if err := sw.Fleet.Upsert(context.Background(), fleet.Repo{InstallationID: sw.Installation, Owner: simworld.Org, Name: name, Template: "svc", Version: "1.0.0", DefaultBranch: "main"}); err != nil {
		t.Fatal(err)
	}
}

func changes(version string) string { return "## " + version + "\n\n- Changes.\n" }

// bot is one process of the App: a queue on the shared database, the
// workflow and its workers.
func bot(t *testing.T, db *store.DB, idx *fleet.Index, app *github.App, inst int64, botLogin string) (*queue.Queue, *upgrade.Workflow) {
	t.Helper()
	q, err := queue.Open(context.Background(), db, queue.Options{MaxWorkers: 4})
	if err != nil {
		t.Fatal(err)
	}
	w, err := upgrade.New(upgrade.Config{
		Client:   func(context.Context, int64) (upgrade.GitHub, error) { return app.Installation(inst), nil },
		Fleet:    idx,
		Queue:    &Enqueuer{Q: q, DashboardEvery: time.Second},
		BotLogin: botLogin,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(q, w, 0); err != nil {
		t.Fatal(err)
	}
	return q, w
}

// TestRolloutSurvivesRestart queues a rollout on River (SQLite), stops the
// process part-way, starts another on the same database, and checks every
// repository ends with exactly one upgrade pull request and the dashboard
// counts them.
func TestRolloutSurvivesRestart(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { rolloutSurvivesRestart(t, d) })
	}
}

func rolloutSurvivesRestart(t *testing.T, dialect store.Dialect) {
	const repos = 12
	ctx := context.Background()
	// Writes 15 ms apart, so the first process is stopped mid-rollout.
	sw := simworld.New(t, simworld.Options{Dialect: dialect, Limits: githubsim.Limits{Disabled: true},
		Policy: github.Policy{Timeout: 5 * time.Second, Pacing: github.Pacing{MinGap: 15 * time.Millisecond, Windows: []github.WindowLimit{{N: 1 << 20, Per: time.Minute}}}}})
	sim, app, inst, db1, idx := sw.Sim, sw.App, sw.Installation, sw.DB, sw.Fleet
	sw.Publish("1.0.0", skeleton, changes("1.0.0"))
	for i := range repos {
		scaffold(t, sw, fmt.Sprintf("svc-%02d", i))
	}
	q1, w1 := bot(t, db1, idx, app, inst, sim.BotLogin())
	sha := sw.Publish("1.1.0", map[string]string{"README.md": "# {{ .name }}\n\nMore.\n", "config.yml": skeleton["config.yml"]}, changes("1.1.0"))
	if err := w1.HandleTagPush(ctx, inst, "acme", "golden-paths", "svc/v1.1.0", sha); err != nil {
		t.Fatal(err)
	}
	// A redelivered tag push queues nothing more.
	if err := w1.HandleTagPush(ctx, inst, "acme", "golden-paths", "svc/v1.1.0", sha); err != nil {
		t.Fatal(err)
	}
	queued, err := q1.Jobs(ctx, river.NewJobListParams().Kinds(upgrade.RepoKind).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != repos {
		t.Fatalf("%d upgrade jobs queued for %d repositories (the redelivery must add none)", len(queued), repos)
	}
	opened := func() int {
		n := 0
		for i := range repos {
			n += len(sim.PullRequests("acme", fmt.Sprintf("svc-%02d", i)))
		}
		return n
	}
	if err := q1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for opened() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := q1.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	cancel()
	mid := opened()
	if mid >= repos {
		t.Fatalf("the rollout finished before the restart (%d pull requests): nothing shown", mid)
	}
	t.Logf("%d of %d pull requests opened before the restart", mid, repos)

	// A new process on the same database picks the rollout up.
	q2, _ := bot(t, db1, idx, app, inst, sim.BotLogin())
	if err := q2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q2.Stop(c)
	})
	deadline = time.Now().Add(60 * time.Second)
	dashboardOK := func() bool {
		for _, is := range sim.Issues("acme", "golden-paths") {
			if is.Title == upgrade.DashboardTitle && strings.Contains(is.Body, fmt.Sprintf("%d open", repos)) {
				return true
			}
		}
		return false
	}
	for (opened() < repos || !dashboardOK()) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for i := range repos {
		name := fmt.Sprintf("svc-%02d", i)
		if prs := sim.PullRequests("acme", name); len(prs) != 1 {
			t.Errorf("%s has %d pull requests, want 1", name, len(prs))
		}
	}
	if !dashboardOK() {
		t.Errorf("the dashboard does not show %d open upgrade pull requests", repos)
	}
}
