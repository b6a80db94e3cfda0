package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// openQueue opens a queue on a fresh database of dialect d with opts.
func openQueue(t *testing.T, d store.Dialect, opts queue.Options) (*queue.Queue, *store.DB) {
	t.Helper()
	db := storetest.Open(t, d)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	q, err := queue.Open(context.Background(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q, db
}

// A delivery whose first attempt (inline, in its group commit's job) fails
// becomes a job of its own: it gets the rest of MaxAttempts with River's
// retries, is discarded after the last, and the discard callback hears of
// it once; each attempt is counted once.
func TestFailedInlineAttemptBecomesAJob(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			q, _ := openQueue(t, d, queue.Options{Registerer: reg, MaxAttempts: 3, RetryPolicy: soonRetry{}})
			boom := errors.New("GitHub answered 502")
			var mu sync.Mutex
			attempts := map[string]int{}
			q.HandleWebhook("issues", func(ctx context.Context, a queue.WebhookArgs) error {
				mu.Lock()
				attempts[a.DeliveryID]++
				mu.Unlock()
				if len(a.Payload) == 0 {
					return errors.New("no payload")
				}
				if a.DeliveryID == "bad" {
					return fmt.Errorf("creating the repository: %w", boom)
				}
				return nil
			})
			discarded := make(chan error, 4)
			q.OnWebhookDiscard(func(ctx context.Context, a queue.WebhookArgs, err error) {
				discarded <- fmt.Errorf("%s (%d-byte payload): %w", a.DeliveryID, len(a.Payload), err)
			})
			for _, id := range []string{"good", "bad"} {
				if _, err := q.Enqueue(t.Context(), delivery(id)); err != nil {
					t.Fatal(err)
				}
			}
			if err := q.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-discarded:
				if want := fmt.Sprintf("bad (%d-byte payload)", len(delivery("").Payload)); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("discard callback got %v, want bad with its payload and the handler's error", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the failing delivery was never discarded")
			}
			job := waitJob(t, q, "bad", inState(rivertype.JobStateDiscarded))
			waitBatchesDone(t, q)
			mu.Lock()
			good, bad := attempts["good"], attempts["bad"]
			mu.Unlock()
			if good != 1 || bad != 3 {
				t.Fatalf("attempts: good %d (want 1, inline), bad %d (want 3: inline, then 2 as a job)", good, bad)
			}
			if jobs := webhookJobs(t, q); len(jobs) != 1 || job.Attempt != 2 {
				t.Fatalf("%d delivery jobs (want only bad's), bad's at attempt %d (want 2)", len(jobs), job.Attempt)
			}
			label := func(outcome string) float64 {
				return counter(t, reg, "goldenpath_jobs_total", map[string]string{"kind": queue.WebhookKind, "outcome": outcome})
			}
			if label("completed") != 1 || label("retried") != 2 || label("discarded") != 1 {
				t.Fatalf("outcomes completed %v retried %v discarded %v, want 1, 2 (inline and the job's first), 1",
					label("completed"), label("retried"), label("discarded"))
			}
			select {
			case err := <-discarded:
				t.Fatalf("a second discard: %v", err)
			default:
			}
		})
	}
}

// A group commit's job whose process died mid-batch is rescued and runs
// again: the work that had succeeded runs again (the workflows are
// idempotent: here an effect made once per delivery, as the workflows
// re-read GitHub before writing), and the work that had failed gets no
// second job.
func TestBatchRerunAfterCrash(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			q, db := openQueue(t, d, queue.Options{Lease: 2 * time.Second, LeaseRenew: 100 * time.Millisecond})
			var mu sync.Mutex
			runs, effects := map[string]int{}, map[string]int{}
			q.HandleWebhook("issues", func(ctx context.Context, a queue.WebhookArgs) error {
				mu.Lock()
				defer mu.Unlock()
				runs[a.DeliveryID]++
				if a.DeliveryID == "bad" {
					return errors.New("GitHub is down")
				}
				if effects[a.DeliveryID] == 0 {
					effects[a.DeliveryID]++
				}
				return nil
			})
			for _, id := range []string{"a", "b", "bad"} {
				if _, err := q.Enqueue(t.Context(), delivery(id)); err != nil {
					t.Fatal(err)
				}
			}
			if err := q.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			waitBatchesDone(t, q)
			// The process that ran them dies (as a SIGKILL leaves them:
			// running, attempted by a process whose lease expired).
			setLease(t, db, "dead-proc", time.Now().Add(-time.Minute))
			batches := batchJobs(t, q)
			for j := range batches {
				reopen := `UPDATE river_job SET state = 'running', finalized_at = NULL, attempted_by = ARRAY[$1] WHERE id = $2`
				if d == store.SQLite {
					reopen = `UPDATE river_job SET state = 'running', finalized_at = NULL, attempted_by = json_array(?) WHERE id = ?`
				}
				if _, err := db.SQL.Exec(reopen, "dead-proc", j.ID); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the batch run again", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return runs["a"] == 2 && runs["b"] == 2 && runs["bad"] >= 2
			})
			waitBatchesDone(t, q)
			mu.Lock()
			defer mu.Unlock()
			if effects["a"] != 1 || effects["b"] != 1 {
				t.Fatalf("effects %v, want one per delivery", effects)
			}
			if jobs := webhookJobs(t, q); len(jobs) != 1 {
				t.Fatalf("%d delivery jobs after the re-run, want bad's one", len(jobs))
			}
		})
	}
}
