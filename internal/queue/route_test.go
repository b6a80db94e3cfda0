package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// soonRetry retries a failed job after 50 ms, so a test sees retries and
// discards without River's minutes of backoff.
type soonRetry struct{}

func (soonRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(50 * time.Millisecond) }

// calls records what routed handlers were given, safe for the workers.
type calls struct {
	mu   sync.Mutex
	seen map[string][]job.Delivery
}

func (c *calls) add(name string, d job.Delivery) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string][]job.Delivery{}
	}
	c.seen[name] = append(c.seen[name], d)
	return len(c.seen[name])
}

func (c *calls) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen[name])
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestRouteOneJobPerWorkflow: each workflow of a delivery two workflows
// handle runs apart. One workflow failing every attempt is retried (as a
// job of its own after its first, inline attempt) and discarded on its
// own: the other runs once, is not repeated by the failures, and is not
// held up by them. An event one workflow handles is worked too.
func TestRouteOneJobPerWorkflow(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			q, _ := openQueue(t, d, queue.Options{Registerer: reg, MaxAttempts: 3, RetryPolicy: soonRetry{}})
			var c calls
			boom := errors.New("boom")
			discarded := make(chan job.Delivery, 4)
			plan, err := queue.Plan(
				job.Route{Workflow: "failing", Events: []string{"push"},
					Handle: func(_ context.Context, d job.Delivery) error { c.add("failing", d); return boom },
					OnDiscard: func(_ context.Context, d job.Delivery, err error) {
						if errors.Is(err, boom) {
							discarded <- d
						}
					}},
				job.Route{Workflow: "steady", Events: []string{"push", "issues"},
					Handle: func(_ context.Context, d job.Delivery) error { c.add("steady:"+d.Event, d); return nil }},
			)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Route(plan); err != nil {
				t.Fatal(err)
			}
			if got := plan.Events(); len(got) != 2 || got[0] != "issues" || got[1] != "push" {
				t.Fatalf("routed events %v, want [issues push]", got)
			}
			if err := q.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			payload := json.RawMessage(`{"ref":"refs/heads/main"}`)
			if _, err := q.Enqueue(t.Context(), queue.WebhookArgs{DeliveryID: "p-1", Event: "push", InstallationID: 7, Payload: payload}); err != nil {
				t.Fatal(err)
			}
			if _, err := q.Enqueue(t.Context(), queue.WebhookArgs{DeliveryID: "i-1", Event: "issues", Action: "opened", Payload: payload}); err != nil {
				t.Fatal(err)
			}
			select {
			case d := <-discarded:
				if d.ID != "p-1" || d.Event != "push" || d.InstallationID != 7 || compact(t, d.Payload) != compact(t, payload) {
					t.Errorf("discarded delivery %+v, want p-1 push of installation 7 with its payload", d)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the failing workflow's job was never discarded")
			}
			waitFor(t, "the steady workflow's push and issues", func() bool { return c.count("steady:push") == 1 && c.count("steady:issues") == 1 })
			if n := c.count("failing"); n != 3 {
				t.Errorf("the failing workflow ran %d times, want its 3 attempts", n)
			}
			if n := c.count("steady:push"); n != 1 {
				t.Errorf("the steady workflow ran the push %d times, want once", n)
			}
			states := func() map[string]rivertype.JobState {
				jobs, err := q.Jobs(t.Context(), river.NewJobListParams().Kinds(queue.WorkflowKind).
					States(rivertype.JobStateCompleted, rivertype.JobStateDiscarded).First(10))
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]rivertype.JobState{}
				for _, j := range jobs {
					var a queue.WorkflowArgs
					if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
						t.Fatal(err)
					}
					out[a.Workflow] = j.State
				}
				return out
			}
			// The steady workflow succeeded at its first attempt, made
			// inline by the group commit's job: it needed no job of its own.
			waitFor(t, "failing discarded", func() bool {
				s := states()
				return len(s) == 1 && s["failing"] == rivertype.JobStateDiscarded
			})
		})
	}
}

// compact is JSON without insignificant space (PostgreSQL's jsonb adds some).
func compact(t *testing.T, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPlanRefusesDuplicateWorkflows: a name is a job's identity.
func TestPlanRefusesDuplicateWorkflows(t *testing.T) {
	h := func(context.Context, job.Delivery) error { return nil }
	if _, err := queue.Plan(job.Route{Workflow: "a", Events: []string{"push"}, Handle: h}, job.Route{Workflow: "a", Handle: h}); err == nil {
		t.Error("two routes named a: want an error")
	}
	if _, err := queue.Plan(job.Route{Workflow: "b", Events: []string{"push"}}); err == nil {
		t.Error("a route without a handler: want an error")
	}
}

// TestOutcomesAreCounted: job.Retry snoozes (then the job completes),
// job.GiveUp ends the job without a retry or a discard, each counted under
// its documented label.
func TestOutcomesAreCounted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		var c calls
		discards := make(chan error, 2)
		plan, err := queue.Plan(job.Route{Workflow: "w", Events: []string{"issues"},
			Handle: func(_ context.Context, d job.Delivery) error {
				n := c.add(d.ID, d)
				switch {
				case d.ID == "give-up":
					return job.GiveUp("told the user")
				case n == 1:
					return job.Retry(time.Second, "come back")
				}
				return nil
			},
			OnDiscard: func(_ context.Context, _ job.Delivery, err error) { discards <- err },
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Route(plan); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"give-up", "retry"} {
			if _, err := q.Enqueue(t.Context(), delivery(id)); err != nil {
				t.Fatal(err)
			}
		}
		label := func(outcome string) float64 {
			return counter(t, reg, "goldenpath_jobs_total", map[string]string{"kind": queue.WebhookKind, "outcome": outcome})
		}
		waitFor(t, "the outcomes", func() bool {
			return label(job.GivenUp) == 1 && label(job.Snoozed) == 1 && label(job.Completed) == 1
		})
		// give-up ended at its first attempt, inline in the group commit's
		// job; the snoozed retry became a job of its own.
		waitBatchesDone(t, q)
		waitFor(t, "the snoozed delivery's job completed", func() bool {
			jobs := webhookJobs(t, q)
			return len(jobs) == 1 && jobs[0].State == rivertype.JobStateCompleted
		})
		if c.count("give-up") != 1 || c.count("retry") != 2 {
			t.Errorf("runs: give-up %d (want 1), retry %d (want 2)", c.count("give-up"), c.count("retry"))
		}
		if v := label(job.Retried) + label(job.Discarded); v != 0 {
			t.Errorf("retried+discarded = %v, want 0", v)
		}
		select {
		case err := <-discards:
			t.Errorf("discard callback ran: %v", err)
		default:
		}
	})
}
