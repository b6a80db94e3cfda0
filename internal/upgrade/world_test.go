package upgrade

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// skeletonV1 is the first version of the test template; later versions
// are edits of it.
var skeletonV1 = simworld.SkeletonV1

// edited is base with edits applied ("" removes a file).
var edited = simworld.Edited

// memQueue records jobs; world.run works them, so a test controls when.
type memQueue struct {
	mu         sync.Mutex
	upgrades   []RepoArgs
	dashboards []DashboardArgs
}

func (q *memQueue) EnqueueUpgrades(_ context.Context, jobs []RepoArgs) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.upgrades = append(q.upgrades, jobs...)
	return nil
}

func (q *memQueue) EnqueueDashboard(_ context.Context, job DashboardArgs) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, d := range q.dashboards {
		if d == job {
			return nil
		}
	}
	q.dashboards = append(q.dashboards, job)
	return nil
}

func (q *memQueue) take() ([]RepoArgs, []DashboardArgs) {
	q.mu.Lock()
	defer q.mu.Unlock()
	u, d := q.upgrades, q.dashboards
	q.upgrades, q.dashboards = nil, nil
	return u, d
}

// world is the simulator over HTTP, the real client, a SQLite fleet index
// and the workflow.
type world struct {
	t     testing.TB
	ctx   context.Context
	sim   *githubsim.Sim
	app   *github.App
	inst  int64
	fleet *fleet.Index
	db    *store.DB
	sw    *simworld.World
	q     *memQueue
	w     *Workflow
	seen  int
	// lastJobCounts are the requests of the repository jobs of the last run.
	lastJobCounts githubsim.Counts
	snoozed       []RepoArgs
	// replicas, if set, work the repository jobs in turn instead of w:
	// other processes sharing the database and the installation.
	replicas []*Workflow
}

// addReplica starts another workflow on the same database, GitHub App and
// queue (another replica of the service); run then hands jobs out in turn.
func (wd *world) addReplica() *Workflow {
	wd.t.Helper()
	w, err := New(wd.w.cfg)
	if err != nil {
		wd.t.Fatal(err)
	}
	if len(wd.replicas) == 0 {
		wd.replicas = []*Workflow{wd.w}
	}
	wd.replicas = append(wd.replicas, w)
	return w
}

const org = simworld.Org

func testPolicy() github.Policy {
	return github.Policy{
		Timeout: 5 * time.Second, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		MaxRateLimitWait: 3 * time.Second, EventualBackoff: 5 * time.Millisecond,
		Pacing: github.Pacing{MinGap: time.Microsecond, Windows: []github.WindowLimit{{N: 1 << 20, Per: time.Minute}}},
	}
}

func newWorld(t testing.TB, limits githubsim.Limits, policy github.Policy) *world {
	t.Helper()
	return newWorldOn(t, store.SQLite, limits, policy)
}

// newWorldOn is newWorld with the fleet index on a database of dialect d.
func newWorldOn(t testing.TB, d store.Dialect, limits githubsim.Limits, policy github.Policy) *world {
	t.Helper()
	sw := simworld.New(t, simworld.Options{Dialect: d, Limits: limits, Policy: policy})
	q := &memQueue{}
	w, err := New(Config{
		Client:   func(context.Context, int64) (GitHub, error) { return sw.App.Installation(sw.Installation), nil },
		Fleet:    sw.Fleet,
		Queue:    q,
		BotLogin: sw.Sim.BotLogin(),
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, ctx: context.Background(), sw: sw, sim: sw.Sim, app: sw.App, inst: sw.Installation, fleet: sw.Fleet, db: sw.DB, q: q, w: w}
}

// publish pushes version of the template (skeleton and changelog) to the
// templates repository and tags it; the tag push is delivered by run.
func (wd *world) publish(version string, skel map[string]string, changelog string) {
	wd.t.Helper()
	wd.sw.Publish(version, skel, changelog)
}

// scaffold creates repository name rendered from skel at version, with its
// .goldenpath.yml, in one push (as the request flow's first commit would).
func (wd *world) scaffold(name, version string, skel map[string]string) {
	wd.t.Helper()
	wd.sw.Scaffold(name, version, skel, template.Answers{"name": name, "owner": "team-" + name}, "goldenpath[bot]")
}

func (wd *world) push(repo, branch string, files map[string]string, author string) string {
	wd.t.Helper()
	m := map[string][]byte{}
	for p, d := range files {
		m[p] = []byte(d)
	}
	sha, err := wd.sim.Push(org, repo, branch, m, "edit by "+author, author)
	if err != nil {
		wd.t.Fatal(err)
	}
	return sha
}

// run delivers the simulator's new webhook deliveries to the workflow and
// works the queued jobs until nothing is left. Snoozed jobs are kept aside.
func (wd *world) run() {
	wd.t.Helper()
	wd.lastJobCounts = githubsim.Counts{ByRoute: map[string]int{}}
	for round := 0; ; round++ {
		if round > 20 {
			wd.t.Fatal("jobs keep coming")
		}
		ds := wd.sim.Deliveries()
		for _, d := range ds[wd.seen:] {
			if err := wd.w.HandleEvent(wd.ctx, d.Event, d.ID, d.Installation, d.Payload); err != nil {
				wd.t.Fatalf("HandleEvent(%s.%s): %v", d.Event, d.Action, err)
			}
		}
		wd.seen = len(ds)
		ups, dashes := wd.q.take()
		if len(ups) == 0 && len(dashes) == 0 {
			return
		}
		for i, a := range ups {
			worker := wd.w
			if len(wd.replicas) > 0 {
				worker = wd.replicas[i%len(wd.replicas)]
			}
			before := wd.sim.Counts()
			err := worker.UpgradeRepo(wd.ctx, a)
			after := wd.sim.Counts()
			for k, v := range after.ByRoute {
				if d := v - before.ByRoute[k]; d > 0 && !strings.Contains(k, "access_tokens") {
					wd.lastJobCounts.ByRoute[k] += d
					wd.lastJobCounts.Total += d
				}
			}
			var snooze *job.RetryError
			if errors.As(err, &snooze) {
				wd.snoozed = append(wd.snoozed, a)
				continue
			}
			if err != nil && !job.GaveUp(err) { // given up: the dashboard shows why
				wd.t.Fatalf("UpgradeRepo(%s/%s %s): %v", a.Owner, a.Repo, a.Tag, err)
			}
		}
		for _, d := range dashes {
			if err := wd.w.RefreshDashboard(wd.ctx, d); err != nil {
				wd.t.Fatalf("RefreshDashboard: %v", err)
			}
		}
	}
}

func (wd *world) openPRs(repo string) []githubsim.IssueInfo {
	var out []githubsim.IssueInfo
	for _, pr := range wd.sim.PullRequests(org, repo) {
		if pr.State == "open" {
			out = append(out, pr)
		}
	}
	return out
}

func (wd *world) onlyOpenPR(repo string) githubsim.IssueInfo {
	wd.t.Helper()
	prs := wd.openPRs(repo)
	if len(prs) != 1 {
		wd.t.Fatalf("%s has %d open pull requests, want 1: %+v", repo, len(prs), prs)
	}
	return prs[0]
}

func (wd *world) files(repo, ref string) map[string]string {
	wd.t.Helper()
	fs, err := wd.sim.Files(org, repo, ref)
	if err != nil {
		wd.t.Fatal(err)
	}
	out := map[string]string{}
	for p, d := range fs {
		out[p] = string(d)
	}
	return out
}

func (wd *world) dashboard() string {
	wd.t.Helper()
	var found []githubsim.IssueInfo
	for _, is := range wd.sim.Issues(org, config.DefaultTemplatesRepo) {
		if is.Title == DashboardTitle && !is.IsPR {
			found = append(found, is)
		}
	}
	if len(found) != 1 {
		wd.t.Fatalf("%d dashboard issues, want 1", len(found))
	}
	return found[0].Body
}

func (wd *world) fleetVersion(repo string) string {
	wd.t.Helper()
	r, err := wd.fleet.Get(wd.ctx, org, repo)
	if err != nil {
		wd.t.Fatalf("fleet: %v", err)
	}
	return r.Version
}

func (wd *world) wantDashboard(substrings ...string) {
	wd.t.Helper()
	body := wd.dashboard()
	for _, s := range substrings {
		if !strings.Contains(body, s) {
			wd.t.Errorf("dashboard lacks %q:\n%s", s, body)
		}
	}
}

func answersVersion(t testing.TB, files map[string]string) string {
	t.Helper()
	af, err := template.ParseAnswersFile([]byte(files[template.AnswersFileName]))
	if err != nil {
		t.Fatal(err)
	}
	return af.Version
}

var _ = fs.ModePerm

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
