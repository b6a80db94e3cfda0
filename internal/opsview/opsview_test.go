package opsview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update to accept):\n--- got\n%s--- want\n%s", p, got, want)
	}
}

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(-d); return &t }

func TestJobs(t *testing.T) {
	errs := []rivertype.AttemptError{{Error: "first"}, {Error: "creating repository acme/x: 502 Bad Gateway\nbody"}}
	rows := []*rivertype.JobRow{
		{ID: 1, Kind: "github_webhook", State: rivertype.JobStateCompleted, CreatedAt: *at(time.Hour)},
		{ID: 2, Kind: "github_webhook", State: rivertype.JobStateDiscarded, Attempt: 25, MaxAttempts: 25, CreatedAt: *at(50 * time.Minute), FinalizedAt: at(2 * time.Minute), Errors: errs},
		{ID: 3, Kind: "upgrade_repo", State: rivertype.JobStateRetryable, Attempt: 2, MaxAttempts: 25, CreatedAt: *at(40 * time.Minute), ScheduledAt: now.Add(time.Minute), Errors: errs[:1]},
		{ID: 4, Kind: "upgrade_repo", State: rivertype.JobStateRunning, Attempt: 1, MaxAttempts: 25, CreatedAt: *at(30 * time.Minute), AttemptedAt: at(20 * time.Minute)},
		{ID: 5, Kind: "upgrade_repo", State: rivertype.JobStateRunning, Attempt: 1, MaxAttempts: 25, CreatedAt: *at(time.Minute), AttemptedAt: at(time.Minute)},
		{ID: 6, Kind: "github_webhook", State: rivertype.JobStateAvailable, Attempt: 0, MaxAttempts: 25, CreatedAt: *at(16 * time.Minute), ScheduledAt: *at(16 * time.Minute)},
		{ID: 7, Kind: "github_webhook", State: rivertype.JobStateAvailable, CreatedAt: *at(time.Second), ScheduledAt: *at(time.Second)},
		{ID: 8, Kind: "github_webhook", State: rivertype.JobStateCancelled, Attempt: 1, MaxAttempts: 25, CreatedAt: *at(10 * time.Minute), FinalizedAt: at(9 * time.Minute), Errors: []rivertype.AttemptError{{Error: "422 name already exists"}}},
	}
	jobs := Jobs(rows, now, 15*time.Minute)
	var ids []int64
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	want := []int64{8, 2, 6, 4, 3}
	if len(ids) != len(want) {
		t.Fatalf("Jobs picked %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("Jobs picked %v, want %v (failed, stuck, retrying; newest first)", ids, want)
		}
	}
	var out bytes.Buffer
	if err := WriteJobs(&out, jobs, now, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "jobs.txt", out.Bytes())
	out.Reset()
	if err := WriteJobs(&out, nil, now, true); err != nil || out.String() != "[]\n" {
		t.Errorf("no jobs as JSON: %q, %v", out.String(), err)
	}
}

func TestCheckRetry(t *testing.T) {
	for _, tt := range []struct {
		state rivertype.JobState
		ok    bool
	}{
		{rivertype.JobStateDiscarded, true},
		{rivertype.JobStateCancelled, true},
		{rivertype.JobStateRetryable, true},
		{rivertype.JobStateRunning, false},
		{rivertype.JobStateCompleted, false},
		{rivertype.JobStateAvailable, false},
		{rivertype.JobStateScheduled, false},
	} {
		if err := CheckRetry(9, tt.state); (err == nil) != tt.ok {
			t.Errorf("CheckRetry(%s) = %v, want ok=%v", tt.state, err, tt.ok)
		}
	}
}

func TestFleet(t *testing.T) {
	repos := []fleet.Repo{
		{Owner: "acme", Name: "web", Template: "node-service", Version: "2.0.0"},
		{Owner: "acme", Name: "Payments", Template: "go-service", Version: "1.0.0", Ownership: fleet.Ownership{Team: "team-payments"}},
		{Owner: "acme", Name: "ledger", Template: "go-service", Version: "1.1.0"},
		{Owner: "beta", Name: "api", Template: "go-service", Version: "1.0.0"},
	}
	prs := []fleet.UpgradePR{
		{Owner: "ACME", Name: "payments", Template: "go-service", TargetVersion: "1.1.0", Number: 7, State: fleet.PROpen, Conflicts: 2},
		{Owner: "beta", Name: "api", Template: "go-service", TargetVersion: "1.1.0", State: fleet.PRBlocked, LastError: "branch pushed by bob\nmore"},
		{Owner: "acme", Name: "web", Template: "go-service", TargetVersion: "9.9.9", Number: 1, State: fleet.PROpen},
	}
	var out bytes.Buffer
	if err := WriteFleet(&out, Fleet(repos, prs), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "fleet.txt", out.Bytes())
	out.Reset()
	if err := WriteFleet(&out, Fleet(repos, prs), true); err != nil {
		t.Fatal(err)
	}
	golden(t, "fleet.json", out.Bytes())
}
