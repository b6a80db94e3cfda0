package main

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/opsview"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// TestFleetAndJobsAfterDemo runs the demo into a database it leaves behind,
// on each dialect, and reads it back with `goldenpath fleet` and
// `goldenpath jobs`; then a job that really failed is shown and retried.
func TestFleetAndJobsAfterDemo(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dbURL := storetest.URL(t, d)
			if code, _, stderr := execGoldenpath(t, "demo", "--database", dbURL); code != 0 {
				t.Fatalf("demo --database: exit %d: %s", code, stderr)
			}

			code, stdout, stderr := execGoldenpath(t, "fleet", "--database", dbURL)
			if code != 0 {
				t.Fatalf("fleet: exit %d: %s", code, stderr)
			}
			// The demo's request (merged upgrade) and its adopted repository
			// (an open upgrade pull request after the adoption was merged).
			created := regexp.MustCompile(`(?m)^go-service +v1\.1\.0 +payments-api +acme +team-payments +merged #1 → v1\.1\.0$`)
			adopted := regexp.MustCompile(`(?m)^go-service +v1\.0\.0 +billing +acme +team-payments +open #\d+ → v1\.1\.0`)
			if !strings.HasPrefix(stdout, "TEMPLATE") || !created.MatchString(stdout) || !adopted.MatchString(stdout) {
				t.Errorf("fleet printed:\n%s", stdout)
			}
			code, stdout, stderr = execGoldenpath(t, "fleet", "--json", "--database", dbURL)
			var rows []opsview.FleetRow
			if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil {
				t.Fatalf("fleet --json: exit %d: %s%s", code, stdout, stderr)
			}
			byName := map[string]opsview.FleetRow{}
			for _, r := range rows {
				byName[r.Repository] = r
			}
			if pr := byName["payments-api"].PR; len(rows) != 2 || pr == nil || pr.State != "merged" || byName["billing"].PR == nil || byName["billing"].Team != "team-payments" {
				t.Errorf("fleet --json: %+v", rows)
			}

			code, stdout, stderr = execGoldenpath(t, "jobs", "--database", dbURL)
			if code != 0 || !strings.HasPrefix(stdout, "0 failed, 0 retrying, 0 stuck") {
				t.Fatalf("jobs after a clean demo: exit %d\n%s%s", code, stdout, stderr)
			}

			id := failOneJob(t, dbURL)
			code, stdout, stderr = execGoldenpath(t, "jobs", "--database", dbURL)
			failed := regexp.MustCompile(`(?m)^` + strconv.FormatInt(id, 10) + ` +github_webhook +failed +discarded +1/1 .* the templates repository is gone$`)
			if code != 0 || !strings.HasPrefix(stdout, "1 failed, 0 retrying, 0 stuck") || !failed.MatchString(stdout) {
				t.Fatalf("jobs after a failure: exit %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr = execGoldenpath(t, "jobs", "--json", "--database", dbURL)
			var jobs []opsview.Job
			if code != 0 || json.Unmarshal([]byte(stdout), &jobs) != nil || len(jobs) != 1 || jobs[0].ID != id {
				t.Fatalf("jobs --json: exit %d\n%s%s", code, stdout, stderr)
			}

			if code, _, stderr := execGoldenpath(t, "jobs", "--retry", "99999", "--database", dbURL); code != 1 || !strings.Contains(stderr, "there is no job 99999") {
				t.Errorf("retrying a job that does not exist: exit %d: %s", code, stderr)
			}
			if code, _, stderr := execGoldenpath(t, "jobs", "--retry", "1", "--database", dbURL); code != 1 || !strings.Contains(stderr, "job 1 is completed, not failed or retrying") {
				t.Errorf("retrying a completed job: exit %d: %s", code, stderr)
			}
			code, stdout, stderr = execGoldenpath(t, "jobs", "--retry", strconv.FormatInt(id, 10), "--database", dbURL)
			if code != 0 || !strings.Contains(stdout, "is available again") {
				t.Fatalf("jobs --retry: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, stdout, _ := execGoldenpath(t, "jobs", "--database", dbURL); code != 0 || !strings.HasPrefix(stdout, "0 failed") {
				t.Errorf("jobs after the retry:\n%s", stdout)
			}
		})
	}
	t.Run("no database", func(t *testing.T) {
		t.Chdir(t.TempDir())
		t.Setenv("DATABASE_URL", "")
		for _, cmd := range []string{"fleet", "jobs"} {
			if code, _, stderr := execGoldenpath(t, cmd); code != 1 || !strings.Contains(stderr, "no database at goldenpath.db") {
				t.Errorf("%s without a database: exit %d: %s", cmd, code, stderr)
			}
		}
	})
}

// failOneJob makes one delivery's job fail for good through the real queue
// (one attempt, a handler that errs) and returns its id.
func failOneJob(t *testing.T, dbURL string) int64 {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := queue.Open(ctx, db, queue.Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	q.HandleWebhook("ping", func(context.Context, queue.WebhookArgs) error {
		return errors.New("reading acme/golden-paths: the templates repository is gone")
	})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Error(err)
		}
	}()
	if _, err := q.Enqueue(ctx, queue.WebhookArgs{DeliveryID: "ops-fail-1", Event: "ping", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var id int64
	err = sandbox.WaitFor(ctx, 60*time.Second, "the failing job to be discarded", func() bool {
		rows, err := q.Jobs(ctx, river.NewJobListParams().States(rivertype.JobStateDiscarded))
		if err != nil || len(rows) == 0 {
			return false
		}
		id = rows[0].ID
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
