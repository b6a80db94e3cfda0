package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// reportEnv names the file the reliability tests write their figures to
// (relative to the module root), e.g. docs/RELIABILITY.md. Only the part
// between reportBegin and reportEnd is replaced; the rest of the file is
// kept (other tests may own other parts).
const (
	reportEnv   = "GOLDENPATH_RELIABILITY_REPORT"
	reportBegin = "<!-- reliability figures: written by cmd/goldenpath's tests, do not edit -->"
	reportEnd   = "<!-- end of reliability figures -->"
)

// reportCommand reproduces the figures at full size.
const reportCommand = "GOLDENPATH_RELIABILITY_FULL=1 GOLDENPATH_RELIABILITY_REPORT=docs/RELIABILITY.md \\\n" +
	"GOLDENPATH_TEST_POSTGRES_URL='postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable' \\\n" +
	"go test -count=1 -timeout 30m -run 'TestCrashRecovery|TestIssue13Scenario|TestReplicaKilled|TestGitHubFaults|TestBurst' ./cmd/goldenpath"

type runRecord struct {
	name   string
	seed   uint64
	stats  runStats
	out    outcome
	failed bool
}

var (
	reportMu sync.Mutex
	runs     []runRecord
)

// report logs a run's figures and keeps them for the report file.
func report(t *testing.T, name string, w *fleetWorld, o outcome) {
	t.Helper()
	ids := map[string]bool{}
	for _, d := range w.sim.Deliveries() {
		ids[d.ID] = true
	}
	w.mu.Lock()
	s := w.stats
	w.mu.Unlock()
	s.Deliveries = len(ids) + s.Direct
	t.Logf("%s: %+v %+v", name, s, o)
	reportMu.Lock()
	defer reportMu.Unlock()
	runs = append(runs, runRecord{name: name, seed: w.seed, stats: s, out: o, failed: t.Failed()})
}

// writeReport writes the figures of the runs of this test process to the
// file reportEnv names, if it is set. Called once the tests are done.
func writeReport() error {
	path := os.Getenv(reportEnv)
	reportMu.Lock()
	defer reportMu.Unlock()
	if path == "" || len(runs) == 0 {
		return nil
	}
	if !filepath.IsAbs(path) {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		path = filepath.Join(root, path)
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	text := spliceReport(string(old), renderReport(runs, time.Now().UTC()))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	fmt.Fprintf(os.Stderr, "reliability figures written to %s\n", path)
	return nil
}

// spliceReport replaces the figures' section of doc (or appends it).
func spliceReport(doc, section string) string {
	section = reportBegin + "\n" + section + reportEnd + "\n"
	i, j := strings.Index(doc, reportBegin), strings.Index(doc, reportEnd)
	if i < 0 || j < i {
		if doc == "" {
			doc = "# Reliability\n\n"
		}
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return doc[:i] + section + strings.TrimLeft(doc[j+len(reportEnd):], "\n")
}

func renderReport(rs []runRecord, now time.Time) string {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b runRecord) int { return strings.Compare(a.name, b.name) })
	size := "CI size (reduced)"
	if fullSize() {
		size = "full size"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Measured: crashes, replicas, GitHub faults, bursts\n\n")
	fmt.Fprintf(&b, "Written by `cmd/goldenpath`'s reliability tests on %s at %s (%s/%s, %d CPUs). "+
		"Each run starts real `goldenpath serve` processes on a real database against the GitHub simulator "+
		"(every exchange checked against GitHub's OpenAPI description). Reproduce:\n\n```sh\n%s\n```\n\n",
		now.Format("2006-01-02 15:04 MST"), size, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), reportCommand)
	b.WriteString("| run | seed | deliveries | SIGKILLs | restarts | deliveries redelivered | requests | repositories | closed as created | bot comments | upgrade PRs | creates that took effect | creates refused or failed | nothing lost, nothing twice |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var notes []string
	for _, r := range rs {
		ok := "yes"
		if r.failed {
			ok = "**NO: the test failed**"
		}
		took, refused := createFigures(r.out.Creates)
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
			r.name, r.seed, r.stats.Deliveries, r.stats.Kills, r.stats.Restarts, r.stats.Redelivered, r.out.Requests, r.out.Repositories,
			r.out.ClosedIssues, r.out.SuccessComments, r.out.UpgradePRs, took, refused, ok)
		for _, n := range []string{r.stats.Recovery, r.stats.Faults, r.stats.Burst} {
			if n != "" {
				notes = append(notes, fmt.Sprintf("- %s: %s", r.name, n))
			}
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\nA create that \"took effect\" is one GitHub answered 2xx; \"refused or failed\" ones were answered 4xx " +
		"(a later attempt finding what an earlier one made: GitHub refuses the duplicate and the bot adopts it) or 5xx " +
		"(an injected fault, some of which carried the write out); a 401 for a token ended early is not counted (GitHub did nothing; " +
		"the bot resent it with a new token). The state columns are counted on the simulator " +
		"after the run: one repository, one bot comment, one upgrade pull request each is the exactly-once outcome.\n\n")
	return b.String()
}

// createFigures sums the create counters into "took effect" and "refused
// or failed" columns.
func createFigures(creates map[string]int) (string, string) {
	var took, other []string
	kinds := map[string]string{"repository": "repositories", "pull request": "pull requests", "comment": "comments"}
	for _, kind := range []string{"repository", "pull request", "comment"} {
		if n := creates[kind+" 2xx"]; n > 0 {
			took = append(took, fmt.Sprintf("%d %s", n, plural(n, kind, kinds[kind])))
		}
		if n := creates[kind+" 4xx"] + creates[kind+" 5xx"]; n > 0 {
			other = append(other, fmt.Sprintf("%d %s", n, plural(n, kind, kinds[kind])))
		}
	}
	if len(took) == 0 {
		took = []string{"-"}
	}
	if len(other) == 0 {
		other = []string{"0"}
	}
	return strings.Join(took, ", "), strings.Join(other, ", ")
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func TestSpliceReport(t *testing.T) {
	section := "## Measured\n\nfigures\n"
	block := reportBegin + "\n" + section + reportEnd + "\n"
	tests := []struct{ name, doc, want string }{
		{"new file", "", "# Reliability\n\n" + block},
		{"no section yet", "# Reliability\n\nHostile input: 40 cases.\n", "# Reliability\n\nHostile input: 40 cases.\n\n" + block},
		{"section replaced, the rest kept", "# R\n\n" + reportBegin + "\nold\n" + reportEnd + "\n\n## Hostile input\n", "# R\n\n" + block + "## Hostile input\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spliceReport(tt.doc, section); got != tt.want {
				t.Errorf("spliceReport:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
