package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// forEachDialect runs a test on a fresh SQLite file and a fresh PostgreSQL
// database, with an open queue registering metrics in reg.
func forEachDialect(t *testing.T, fn func(t *testing.T, q *queue.Queue, reg *prometheus.Registry)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, d)
			reg := prometheus.NewRegistry()
			q, err := queue.Open(context.Background(), db, queue.Options{
				Registerer: reg,
				Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			})
			if err != nil {
				t.Fatalf("opening the queue: %v", err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := q.Stop(ctx); err != nil {
					t.Errorf("stopping the queue: %v", err)
				}
			})
			fn(t, q, reg)
		})
	}
}

func delivery(id string) queue.WebhookArgs {
	return queue.WebhookArgs{DeliveryID: id, Event: "issues", Action: "opened", InstallationID: 7,
		Payload: json.RawMessage(`{"action":"opened","installation":{"id":7}}`)}
}

// everyState lists jobs whatever became of them.
var everyState = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateScheduled}

func webhookJobs(t *testing.T, q *queue.Queue) []*rivertype.JobRow {
	t.Helper()
	jobs, err := q.Jobs(context.Background(), river.NewJobListParams().Kinds(queue.WebhookKind).
		States(everyState...).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// batchJobs lists the group commits' jobs, each with the deliveries it names.
func batchJobs(t *testing.T, q *queue.Queue) map[*rivertype.JobRow][]string {
	t.Helper()
	jobs, err := q.Jobs(context.Background(), river.NewJobListParams().Kinds(queue.DeliveryBatchKind).
		States(everyState...).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	out := map[*rivertype.JobRow][]string{}
	for _, j := range jobs {
		var a queue.DeliveryBatchArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		out[j] = a.DeliveryIDs
	}
	return out
}

// batched counts how often each delivery was queued by a group commit.
func batched(t *testing.T, q *queue.Queue) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, ids := range batchJobs(t, q) {
		for _, id := range ids {
			out[id]++
		}
	}
	return out
}

// waitBatchesDone waits until every group commit's job has completed.
func waitBatchesDone(t *testing.T, q *queue.Queue) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(batchedJobIDs(t, q))) {
		waitState(t, q, id, rivertype.JobStateCompleted)
	}
}

func batchedJobIDs(t *testing.T, q *queue.Queue) map[int64]bool {
	out := map[int64]bool{}
	for j := range batchJobs(t, q) {
		out[j.ID] = true
	}
	return out
}

func waitState(t *testing.T, q *queue.Queue, id int64, want rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		job, err := q.Job(context.Background(), id)
		if err != nil {
			t.Fatalf("getting job %d: %v", id, err)
		}
		if job.State == want {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s, want %s (errors %v)", id, job.State, want, job.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSameDeliveryMakesOneJob(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		// Three posts one after another.
		var dups []bool
		for range 3 {
			dup, err := q.Enqueue(ctx, delivery("seq-1"))
			if err != nil {
				t.Fatalf("enqueue: %v", err)
			}
			dups = append(dups, dup)
		}
		if fmt.Sprint(dups) != "[false true true]" {
			t.Fatalf("duplicate flags = %v, want [false true true]", dups)
		}
		// Posts at the same time (same group commit and racing ones).
		var wg sync.WaitGroup
		var inserted atomic.Int32
		for range 8 {
			wg.Go(func() {
				dup, err := q.Enqueue(ctx, delivery("conc-1"))
				if err != nil {
					t.Errorf("enqueue: %v", err)
				}
				if !dup {
					inserted.Add(1)
				}
			})
		}
		wg.Wait()
		if inserted.Load() != 1 {
			t.Fatalf("%d concurrent posts reported inserted, want 1", inserted.Load())
		}
		// (Each delivery used to be a job of its own; it is now named once
		// by the job of its group commit.)
		if got := batched(t, q); len(got) != 2 || got["seq-1"] != 1 || got["conc-1"] != 1 {
			t.Fatalf("group commits queued %v, want each delivery once", got)
		}
	})
}

func TestWorkedDeliveryStaysDeduplicated(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		var calls atomic.Int32
		got := make(chan queue.WebhookArgs, 4)
		q.HandleWebhook("issues", func(ctx context.Context, args queue.WebhookArgs) error {
			calls.Add(1)
			got <- args
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Enqueue(ctx, delivery("d-1")); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-got:
			if a.DeliveryID != "d-1" || a.InstallationID != 7 || a.Action != "opened" || string(a.Payload) == "" {
				t.Fatalf("handler got %+v", a)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("handler never ran")
		}
		waitBatchesDone(t, q)
		// A redelivery after the job completed is still the same delivery.
		dup, err := q.Enqueue(ctx, delivery("d-1"))
		if err != nil || !dup {
			t.Fatalf("redelivery after completion: duplicate=%v err=%v, want duplicate", dup, err)
		}
		time.Sleep(200 * time.Millisecond)
		if calls.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", calls.Load())
		}
		if v := counter(t, reg, "goldenpath_jobs_total", map[string]string{"kind": queue.WebhookKind, "outcome": "completed"}); v != 1 {
			t.Fatalf("completed jobs metric = %v, want 1", v)
		}
	})
}

func TestDiscardCallsBackWithLastError(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		boom := errors.New("template does not render")
		q.HandleWebhook("issues", func(ctx context.Context, args queue.WebhookArgs) error {
			if args.DeliveryID == "perm" {
				return queue.Permanent(boom)
			}
			return fmt.Errorf("attempt failed: %w", boom)
		})
		discarded := make(chan error, 4)
		q.OnWebhookDiscard(func(ctx context.Context, args queue.WebhookArgs, err error) {
			if ctx.Err() != nil {
				t.Errorf("discard callback got a done context")
			}
			discarded <- fmt.Errorf("%s: %w", args.DeliveryID, err)
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		// Permanent: given up at the first attempt.
		if _, err := q.Enqueue(ctx, delivery("perm")); err != nil {
			t.Fatal(err)
		}
		// A retryable error on the last allowed attempt.
		last, err := q.Insert(ctx, delivery("last"), &river.InsertOpts{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		// A retryable error with attempts left: retried, not discarded.
		retry, err := q.Insert(ctx, delivery("retry"), &river.InsertOpts{MaxAttempts: 5})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for range 2 {
			select {
			case err := <-discarded:
				if !errors.Is(err, boom) {
					t.Fatalf("discard error %v does not wrap the handler's error", err)
				}
				seen[err.Error()[:4]] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("discard callback not called (seen %v)", seen)
			}
		}
		if !seen["perm"] || !seen["last"] {
			t.Fatalf("discarded %v, want perm and last", seen)
		}
		waitState(t, q, last.Job.ID, rivertype.JobStateDiscarded)
		var job *rivertype.JobRow
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if job, err = q.Job(ctx, retry.Job.ID); err != nil {
				t.Fatal(err)
			}
			if len(job.Errors) > 0 {
				break
			}
		}
		if len(job.Errors) == 0 || job.State == rivertype.JobStateDiscarded || job.State == rivertype.JobStateCompleted {
			t.Fatalf("job with attempts left: state %s, %d errors; want retried", job.State, len(job.Errors))
		}
		select {
		case err := <-discarded:
			t.Fatalf("a job with attempts left was discarded: %v", err)
		default:
		}
		if v := counter(t, reg, "goldenpath_jobs_total", map[string]string{"kind": queue.WebhookKind, "outcome": "discarded"}); v != 2 {
			t.Fatalf("discarded metric = %v, want 2", v)
		}
		if v := counter(t, reg, "goldenpath_jobs_total", map[string]string{"kind": queue.WebhookKind, "outcome": "retried"}); v < 1 {
			t.Fatalf("retried metric = %v, want at least 1", v)
		}
	})
}

func TestGroupCommitBatchesConcurrentDeliveries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		const n = 300
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, err := q.Enqueue(ctx, delivery(fmt.Sprintf("g-%d", i))); err != nil {
					t.Errorf("enqueue: %v", err)
				}
			})
		}
		wg.Wait()
		// One job per group commit now, not per delivery.
		got := batched(t, q)
		if len(got) != n {
			t.Fatalf("group commits queued %d deliveries, want %d", len(got), n)
		}
		for id, k := range got {
			if k != 1 {
				t.Fatalf("delivery %s queued %d times", id, k)
			}
		}
		count, sum := histogram(t, reg, "goldenpath_webhook_insert_batch_size")
		if sum != n {
			t.Fatalf("batches wrote %v deliveries, want %d", sum, n)
		}
		if count >= n/2 {
			t.Fatalf("%d deliveries took %d transactions; group commit should need far fewer", n, count)
		}
		if commits, seconds := histogram(t, reg, "goldenpath_webhook_commit_seconds"); commits != count || seconds <= 0 {
			t.Fatalf("commit time observed %v times (%v s), want once per group commit (%v)", commits, seconds, count)
		}
		if v, jobs := gauge(t, reg, "goldenpath_queue_jobs", map[string]string{"state": "available"}), len(batchJobs(t, q)); v != float64(jobs) || jobs != int(count) {
			t.Fatalf("queue depth metric = %v, want the %d batch jobs (%d group commits)", v, jobs, count)
		}
	})
}

type slowArgs struct {
	N int `json:"n"`
}

func (slowArgs) Kind() string { return "test_slow" }

func TestStopDrainsRunningJobs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		started := make(chan struct{})
		var finished atomic.Bool
		err := queue.AddWorker(q, func(ctx context.Context, job *river.Job[slowArgs]) error {
			close(started)
			select {
			case <-time.After(400 * time.Millisecond):
				finished.Store(true)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		startCtx, cancelStart := context.WithCancel(ctx)
		if err := q.Start(startCtx); err != nil {
			t.Fatal(err)
		}
		res, err := q.Insert(ctx, slowArgs{N: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("job never started")
		}
		// The start context ending (SIGTERM) must not cancel the running job.
		cancelStart()
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if !finished.Load() {
			t.Fatal("Stop returned before the running job finished")
		}
		job, err := q.Job(ctx, res.Job.ID)
		if err != nil || job.State != rivertype.JobStateCompleted {
			t.Fatalf("job after drain: %v %v, want completed", job.State, err)
		}
		if _, err := q.Enqueue(ctx, delivery("late")); !errors.Is(err, queue.ErrStopped) {
			t.Fatalf("enqueue after stop: %v, want ErrStopped", err)
		}
	})
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

func TestPeriodicJobRunsAtStart(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ran := make(chan struct{}, 8)
		if err := queue.AddWorker(q, func(ctx context.Context, job *river.Job[tickArgs]) error {
			ran <- struct{}{}
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if err := q.AddPeriodic("tick", time.Hour, func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil }); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ran:
		case <-time.After(15 * time.Second):
			t.Fatal("periodic job did not run at start")
		}
	})
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			for i := range 2 {
				db, err := store.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				q, err := queue.Open(context.Background(), db, queue.Options{})
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				if _, err := q.Enqueue(context.Background(), delivery("x")); err != nil {
					t.Fatalf("enqueue after open %d: %v", i, err)
				}
				if err := q.Stop(context.Background()); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
		})
	}
}
