package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/apispec"
	"github.com/goldenpath-dev/goldenpath/internal/app"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/request"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
)

// The reliability tests drive real `goldenpath serve` processes (this test
// binary re-executed as the goldenpath main, see TestMain) against the
// GitHub simulator, which lives in the test process so it survives the
// kills: every GitHub request of every process goes through it, checked
// against GitHub's OpenAPI description and counted.

// childPolicyEnv carries, as JSON, a child process's time scale: the
// tests scale the simulator's rate limits down and pace the bot's writes to
// match (GitHub's published 1 s gap would make a run take minutes), and the
// faults test may shorten the queue's retry backoff by a factor (River's
// attempt⁴ seconds would leave a job that failed four times waiting four
// minutes, a wait that proves nothing about exactly-once).
const childPolicyEnv = "GOLDENPATH_TEST_CHILD_POLICY"

type childTuning struct {
	Policy       github.Policy
	RetryDivisor int // 0 or 1: River's default backoff
}

// scaleServe makes this (child) process's serve command use the tuning in
// tuningJSON; everything else is `goldenpath serve` as deployed.
func scaleServe(tuningJSON string) {
	var c childTuning
	if err := json.Unmarshal([]byte(tuningJSON), &c); err != nil {
		fmt.Fprintf(os.Stderr, "goldenpath serve: reading %s: %v\n", childPolicyEnv, err)
		os.Exit(2)
	}
	opts := app.Options{GitHubPolicy: c.Policy}
	if c.RetryDivisor > 1 {
		opts.Queue.RetryPolicy = scaledRetry{divisor: time.Duration(c.RetryDivisor)}
	}
	cmd := commands["serve"]
	cmd.run = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return serve(ctx, args, stdout, stderr, opts)
	}
	commands["serve"] = cmd
}

// scaledRetry is River's default retry policy with its waits divided.
type scaledRetry struct{ divisor time.Duration }

func (s scaledRetry) NextRetry(job *rivertype.JobRow) time.Time {
	now := time.Now()
	return now.Add((&river.DefaultClientRetryPolicy{}).NextRetry(job).Sub(now) / s.divisor)
}

const (
	fleetOrg      = "acme"
	fleetTeam     = "team-payments"
	fleetDev      = "alice"
	upgradeBranch = "goldenpath/upgrade-go-service"
)

// fleetWorld is one reliability run: the simulator, the database, and the
// goldenpath processes (replicas) sharing it, each of which may be killed.
type fleetWorld struct {
	t      *testing.T
	sim    *githubsim.Sim
	sw     *sandbox.World // simulator-side helpers (templates, requests); no process of its own
	spec   *apispec.Spec
	simURL string
	hook   string // the webhook fan-out URL the simulator posts to
	dbURL  string
	env    map[string]string
	rng    *rand.Rand
	seed   uint64

	mu       sync.Mutex
	replicas []*replica
	writes   int            // non-GET GitHub requests since the last kill was armed
	killAt   int            // kill the process that sends this write (0: none armed)
	killed   chan *replica  // a kill happened
	statuses map[string]int // "METHOD 2xx" -> count of writes
	creates  map[string]int // "repository 2xx" -> count of creates
	stats    runStats
}

// runStats are the figures a run reports (and writes to RELIABILITY.md).
type runStats struct {
	Kills, Restarts, Redelivered int
	// Deliveries counts the distinct deliveries the processes were sent:
	// by the simulator, and by the test itself (the burst).
	Deliveries, Direct int
	// Recovery, Faults and Burst are the run's sentences for the report.
	Recovery, Faults, Burst string
}

// replica is one `goldenpath serve` process slot: a port and the current
// process on it (restarted on the same port after a kill).
type replica struct {
	name string
	port int
	dir  string
	proc *serveProc
	up   bool
}

func (r *replica) base() string { return fmt.Sprintf("http://127.0.0.1:%d", r.port) }

type fleetOptions struct {
	retryDivisor int // shortens River's retry backoff (see childTuning)
	dbURL        string
	limits       githubsim.Limits
	pacing       github.Pacing
	simTTL       time.Duration // installation token lifetime (0: an hour)
}

func newFleetWorld(t *testing.T, o fleetOptions) *fleetWorld {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("GOLDENPATH_RELIABILITY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GOLDENPATH_RELIABILITY_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (rerun with GOLDENPATH_RELIABILITY_SEED=%d)", seed, seed)
	w := &fleetWorld{
		t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed>>1|1)),
		dbURL: o.dbURL, killed: make(chan *replica, 16), statuses: map[string]int{}, creates: map[string]int{},
	}
	w.sim = githubsim.New(githubsim.Options{Seed: int64(seed), Limits: o.limits, TokenTTL: o.simTTL})
	w.sw = &sandbox.World{Sim: w.sim, Org: fleetOrg, TemplatesRepo: "golden-paths"}
	w.spec = apispec.Load(t)
	w.spec.Exempt("/_codeload/")

	sim := httptest.NewServer(w.spec.Middleware(http.HandlerFunc(w.serveGitHub)))
	fan := httptest.NewServer(http.HandlerFunc(w.fanOut))
	t.Cleanup(func() {
		w.sim.SetWebhook("", "")
		w.stopAll()
		fan.Close()
		sim.Close()
		w.spec.AssertClean(t)
		if u := w.sim.UnknownRoutes(); len(u) > 0 {
			t.Errorf("the bot called routes GitHub does not have: %v", u)
		}
	})
	w.simURL, w.hook = sim.URL, fan.URL

	policy, err := json.Marshal(childTuning{Policy: github.Policy{Timeout: 20 * time.Second, Pacing: o.pacing}, RetryDivisor: o.retryDivisor})
	if err != nil {
		t.Fatal(err)
	}
	w.env = map[string]string{
		"APP_ID":         strconv.FormatInt(w.sim.AppID(), 10),
		"PRIVATE_KEY":    string(w.sim.AppPrivateKeyPEM()),
		"WEBHOOK_SECRET": webhookSecret,
		"GITHUB_API_URL": w.simURL + "/api/v3",
		"DATABASE_URL":   o.dbURL,
		"HOST":           "127.0.0.1",
		"LOG_LEVEL":      "warn",
		childPolicyEnv:   string(policy),
	}

	w.sim.AddOrg(fleetOrg, fleetDev)
	w.sim.AddTeam(fleetOrg, fleetTeam, fleetDev)
	if _, err := w.sw.PublishTemplates(sandbox.BuiltinTemplates(), nil, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	w.sim.SetWebhook(w.hook, webhookSecret)
	return w
}

// serveGitHub is the simulator, with every write counted by route and
// status, and the armed kill fired when its write arrives: the process
// dies with the write on its way, which GitHub still carries out.
func (w *fleetWorld) serveGitHub(rw http.ResponseWriter, r *http.Request) {
	write := r.Method != http.MethodGet && r.Method != http.MethodHead && !strings.HasSuffix(r.URL.Path, "/access_tokens")
	if write {
		w.mu.Lock()
		w.writes++
		fire := w.killAt > 0 && w.writes >= w.killAt
		if fire {
			w.killAt = 0
		}
		w.mu.Unlock()
		if fire {
			w.killSender()
		}
	}
	rec := &statusRecorder{ResponseWriter: rw}
	if write {
		// Deferred: a write whose sender was killed meanwhile took effect
		// even when answering it aborts the handler (the connection is gone).
		defer func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.statuses[fmt.Sprintf("%s %dxx", r.Method, rec.status/100)]++
			// A 401 (a token ended early) was not acted on; the bot resends it.
			if kind := createKind(r.Method, r.URL.Path); kind != "" && rec.status != http.StatusUnauthorized {
				w.creates[kind+" "+strconv.Itoa(rec.status/100)+"xx"]++
			}
		}()
	}
	w.sim.Handler().ServeHTTP(rec, r)
}

// killSender SIGKILLs the first live replica. With one replica that is the
// sender; with several, the kill lands on whichever is first, mid-run.
func (w *fleetWorld) killSender() {
	w.mu.Lock()
	var victim *replica
	for _, r := range w.replicas {
		if r.up {
			victim = r
			break
		}
	}
	if victim != nil {
		victim.up = false
		w.stats.Kills++
	}
	w.mu.Unlock()
	if victim == nil {
		return
	}
	_ = victim.proc.cmd.Process.Signal(syscall.SIGKILL)
	w.killed <- victim
}

// kills is how many processes were killed so far.
func (w *fleetWorld) kills() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats.Kills
}

// armKill kills a process when the nth GitHub write from now arrives.
func (w *fleetWorld) armKill(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes, w.killAt = 0, n
}

// fanOut hands a delivery to every live replica, as a load balancer with
// GitHub's retries would not: each replica must cope with receiving every
// delivery. It answers the best status (a 2xx if any replica took it).
func (w *fleetWorld) fanOut(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	var targets []string
	for _, rep := range w.replicas {
		if rep.up {
			targets = append(targets, rep.base())
		}
	}
	w.mu.Unlock()
	best := http.StatusBadGateway
	client := &http.Client{Timeout: 10 * time.Second}
	for _, base := range targets {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, base+"/api/github/webhooks", bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			best = resp.StatusCode
		}
	}
	rw.WriteHeader(best)
}

// addReplica starts one more process on the database.
func (w *fleetWorld) addReplica() *replica {
	w.t.Helper()
	r := &replica{name: fmt.Sprintf("replica-%d", len(w.replicas)+1), port: freePort(w.t), dir: w.t.TempDir()}
	w.mu.Lock()
	w.replicas = append(w.replicas, r)
	w.mu.Unlock()
	w.start(r)
	return r
}

// start runs `goldenpath serve` on r's port and waits until it is ready.
func (w *fleetWorld) start(r *replica) {
	w.t.Helper()
	env := merged(w.env, map[string]string{"PORT": strconv.Itoa(r.port)})
	r.proc = startServe(w.t, r.dir, env)
	r.proc.waitReadyWithin(w.t, r.base(), 90*time.Second)
	w.mu.Lock()
	r.up = true
	w.mu.Unlock()
}

// restartKilled waits for a killed process to be gone, starts a new one on
// its port and database, and has GitHub redeliver what no process
// acknowledged meanwhile (as GitHub's "redeliver failed deliveries" does:
// GitHub never retries on its own).
func (w *fleetWorld) restartKilled(r *replica) time.Time {
	w.t.Helper()
	select {
	case <-r.proc.done:
	case <-time.After(30 * time.Second):
		w.t.Fatalf("%s still running 30s after SIGKILL", r.name)
	}
	began := time.Now()
	w.start(r)
	w.mu.Lock()
	w.stats.Restarts++
	w.mu.Unlock()
	at := time.Now()
	w.t.Logf("%s restarted after a SIGKILL, ready in %s", r.name, at.Sub(began).Round(time.Millisecond))
	w.redeliverUnacknowledged()
	return at
}

func (w *fleetWorld) redeliverUnacknowledged() {
	w.sim.WaitDeliveries()
	acked := map[string]bool{}
	var ids []string
	for _, d := range w.sim.Deliveries() {
		if !slices.Contains(ids, d.ID) {
			ids = append(ids, d.ID)
		}
		if d.StatusCode/100 == 2 {
			acked[d.ID] = true
		}
	}
	for _, id := range ids {
		if !acked[id] {
			if err := w.sim.Redeliver(id); err != nil {
				w.t.Fatal(err)
			}
			w.mu.Lock()
			w.stats.Redelivered++
			w.mu.Unlock()
		}
	}
}

func (w *fleetWorld) stopAll() {
	w.mu.Lock()
	reps := slices.Clone(w.replicas)
	w.mu.Unlock()
	for _, r := range reps {
		if r.proc == nil {
			continue
		}
		select {
		case <-r.proc.done:
		default:
			_ = r.proc.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.proc.done:
			case <-time.After(30 * time.Second):
				_ = r.proc.cmd.Process.Kill()
			}
		}
	}
}

func merged(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// install installs the App and waits for the request labels, the
// installation job's work.
func (w *fleetWorld) install() {
	w.t.Helper()
	w.sw.Install()
	want := []string{request.LabelRequest, request.LabelNeedsChanges, request.LabelCreated}
	waitFor(w.t, 60*time.Second, "request labels in acme/golden-paths", func() bool {
		return containsAll(w.sim.Labels(fleetOrg, "golden-paths"), want)
	})
}

// fileRequests opens n new-service requests at once and returns issue
// number -> repository name.
func (w *fleetWorld) fileRequests(prefix string, n int) map[int]string {
	w.t.Helper()
	out := map[int]string{}
	for i := range n {
		name := fmt.Sprintf("%s-%02d", prefix, i+1)
		num, err := w.sw.FileRequest(sandbox.BuiltinTemplates(), "go-service", fleetDev, map[string]any{
			"name": name, "owner": fleetTeam, "description": "Takes card payments from the checkout.",
			"system": "payments", "lifecycle": "production", "dependabot": true,
		})
		if err != nil {
			w.t.Fatal(err)
		}
		out[num] = name
	}
	return out
}

// publishUpgrade releases go-service v1.1.0, which starts the rollout.
func (w *fleetWorld) publishUpgrade() {
	w.t.Helper()
	if _, err := w.sw.PublishVersion("go-service", "1.1.0", "- A runbook for on-call.", "platform-team", map[string][]byte{
		"skeleton/docs/runbook.md": []byte("# Runbook of {{ .name }}\n"),
	}); err != nil {
		w.t.Fatal(err)
	}
}

// requestsDone: every request closed as created.
func (w *fleetWorld) requestsDone(reqs map[int]string) bool {
	for n := range reqs {
		is, err := w.sim.Issue(fleetOrg, "golden-paths", n)
		if err != nil || is.State != "closed" || !slices.Contains(is.Labels, request.LabelCreated) {
			return false
		}
	}
	return true
}

// upgradesDone: every repository has an open upgrade pull request.
func (w *fleetWorld) upgradesDone(reqs map[int]string) bool {
	for _, name := range reqs {
		if len(openUpgradePRs(w.sim, name)) == 0 {
			return false
		}
	}
	return true
}

func openUpgradePRs(sim *githubsim.Sim, repo string) []githubsim.IssueInfo {
	var out []githubsim.IssueInfo
	for _, pr := range sim.PullRequests(fleetOrg, repo) {
		if pr.State == "open" && pr.Head == upgradeBranch {
			out = append(out, pr)
		}
	}
	return out
}

// waitUntil polls done until it holds or limit passes, and returns how long
// it took.
func (w *fleetWorld) waitUntil(limit time.Duration, what string, done func() bool) time.Duration {
	w.t.Helper()
	start := time.Now()
	deadline := start.Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			w.dumpQueueState()
			w.t.Fatalf("%s: not done within %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

func (w *fleetWorld) dumpQueueState() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.replicas {
		if r.proc != nil {
			w.t.Logf("%s (up %v) stderr tail:\n%s", r.name, r.up, tail(r.proc.stderr.String(), 6000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
