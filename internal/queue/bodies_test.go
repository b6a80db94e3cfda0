package queue_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
)

// waitJob polls until the delivery's webhook job satisfies ok.
func waitJob(t *testing.T, q *queue.Queue, deliveryID string, ok func(*rivertype.JobRow) bool) *rivertype.JobRow {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		for _, j := range webhookJobs(t, q) {
			if strings.Contains(string(j.EncodedArgs), `"`+deliveryID+`"`) && ok(j) {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no job of delivery %s reached the expected state", deliveryID)
		}
	}
}

func inState(states ...rivertype.JobState) func(*rivertype.JobRow) bool {
	return func(j *rivertype.JobRow) bool {
		for _, s := range states {
			if j.State == s {
				return true
			}
		}
		return false
	}
}

// The group commit stores the payload beside the job, not in it: the job's
// args name the delivery in ~100 bytes, and the handler still gets the
// payload byte for byte. Two posts of one delivery in one batch store one
// job.
func TestBodyIsStoredBesideTheJob(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		payload := realSizedPayload()
		got := make(chan queue.WebhookArgs, 4)
		q.HandleWebhook("issues", func(ctx context.Context, a queue.WebhookArgs) error {
			got <- a
			return nil
		})
		var wg sync.WaitGroup
		dups := make(chan bool, 4)
		for range 4 {
			wg.Go(func() {
				a := delivery("big-1")
				a.Payload = payload
				dup, err := q.Enqueue(ctx, a)
				if err != nil {
					t.Errorf("enqueue: %v", err)
				}
				dups <- dup
			})
		}
		wg.Wait()
		close(dups)
		inserted := 0
		for d := range dups {
			if !d {
				inserted++
			}
		}
		jobs := batchJobs(t, q)
		if got := batched(t, q); inserted != 1 || len(jobs) != 1 || got["big-1"] != 1 {
			t.Fatalf("4 posts of one delivery: %d reported inserted, group commits queued %v; want 1 and 1", inserted, got)
		}
		for j := range jobs {
			if args := string(j.EncodedArgs); len(args) > 100 || strings.Contains(args, "payload") || strings.Contains(args, `"body"`) {
				t.Fatalf("job args are %d bytes (%s), want the delivery named", len(args), args)
			}
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-got:
			if string(a.Payload) != string(payload) || a.DeliveryID != "big-1" || a.InstallationID != 7 || a.Action != "opened" {
				t.Fatalf("handler got delivery %s action %s installation %d and a %d-byte payload; want the stored one (%d bytes)",
					a.DeliveryID, a.Action, a.InstallationID, len(a.Payload), len(payload))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("handler never ran")
		}
	})
}

// A delivery whose job was discarded runs again when GitHub redelivers it,
// with its payload.
func TestRedeliveryAfterDiscardRunsAgain(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		var fixed atomic.Bool
		ran := make(chan string, 8)
		q.HandleWebhook("issues", func(ctx context.Context, a queue.WebhookArgs) error {
			ran <- string(a.Payload)
			if !fixed.Load() {
				return queue.Permanent(errors.New("GitHub said 422"))
			}
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Enqueue(ctx, delivery("rd-1")); err != nil {
			t.Fatal(err)
		}
		// The first attempt inline, then the job that gives it up.
		waitJob(t, q, "rd-1", inState(rivertype.JobStateDiscarded, rivertype.JobStateCancelled))
		for i := range 2 {
			if p := <-ran; p != string(delivery("").Payload) {
				t.Fatalf("attempt %d got payload %q", i+1, p)
			}
		}
		fixed.Store(true)
		dup, err := q.Enqueue(ctx, delivery("rd-1"))
		if err != nil || dup {
			t.Fatalf("redelivery after discard: duplicate=%v err=%v, want it queued again", dup, err)
		}
		receivePayload(t, ran, "the redelivery")
		waitBatchesDone(t, q)
		if dup, err := q.Enqueue(ctx, delivery("rd-1")); err != nil || !dup {
			t.Fatalf("redelivery after success: duplicate=%v err=%v, want a duplicate", dup, err)
		}
		if got := batched(t, q); got["rd-1"] != 2 {
			t.Fatalf("group commits queued rd-1 %d times, want 2", got["rd-1"])
		}
	})
}

// Bodies are pruned after DeliveryRetention plus a margin, except those a
// job that may still run names: a retrying job's, and a discarded job's
// (it can be retried by hand), which then runs with its payload.
func TestOldBodiesArePruned(t *testing.T) {
	forEachDialect(t, func(t *testing.T, q *queue.Queue, reg *prometheus.Registry) {
		ctx := context.Background()
		retried := make(chan string, 8)
		failed := make(chan string, 8)
		q.HandleWebhook("issues", func(ctx context.Context, a queue.WebhookArgs) error {
			switch a.DeliveryID {
			case "failing":
				failed <- string(a.Payload)
				return errors.New("GitHub is down")
			case "given-up":
				select {
				case retried <- string(a.Payload):
				default:
				}
				return queue.Permanent(errors.New("not allowed"))
			}
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"done", "failing", "given-up"} {
			if _, err := q.Enqueue(ctx, delivery(id)); err != nil {
				t.Fatal(err)
			}
		}
		waitBatchesDone(t, q)
		failing := waitJob(t, q, "failing", func(j *rivertype.JobRow) bool { return len(j.Errors) > 0 })
		discarded := waitJob(t, q, "given-up", inState(rivertype.JobStateDiscarded, rivertype.JobStateCancelled))
		<-retried
		if n, err := q.PruneDeliveries(ctx, time.Now()); err != nil || n != 0 {
			t.Fatalf("pruning now: %d bodies, err %v; want none (all are recent)", n, err)
		}
		later := time.Now().Add(7*24*time.Hour + 25*time.Hour)
		if n, err := q.PruneDeliveries(ctx, later); err != nil || n != 1 {
			t.Fatalf("pruning after the retention: %d bodies, err %v; want 1 (the completed delivery's)", n, err)
		}
		for len(failed) > 0 {
			<-failed
		}
		for _, j := range []*rivertype.JobRow{discarded, failing} {
			if _, err := q.Retry(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, ch := range []chan string{retried, failed} {
			receivePayload(t, ch, "a job retried after the pruning")
		}
	})
}

// receivePayload waits for what ran to report the payload it got, which must
// be the test delivery's.
func receivePayload(t *testing.T, ran <-chan string, what string) {
	t.Helper()
	select {
	case p := <-ran:
		if p != string(delivery("").Payload) {
			t.Fatalf("%s got payload %q", what, p)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not run", what)
	}
}
