package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// One River job per group commit. River's own per job work (a row built
// through JSON and inserted, fetched, completed) was the floor of the
// intake, whatever the payload: so a group commit inserts one
// DeliveryBatchArgs job naming the deliveries it stored, and its worker
// runs each delivery's work inline, as that delivery's first attempt,
// through the same wrapper as any job (metrics, logs, panic recovery).
// Success and "given up" are final there. Any other outcome (an error, a
// snooze, a permanent failure) turns that delivery's work into an ordinary
// River job — a WebhookArgs, or a WorkflowArgs when several workflows
// handle the event — naming the delivery, with River's attempts, backoff,
// discard callback and `goldenpath jobs --retry`. Most deliveries thus cost
// a share of one job instead of a job each.
//
// A batch whose process dies is rescued like any job (rescue.go) and runs
// again: the workflows are idempotent (they re-read GitHub before every
// write), and the jobs of failed work are unique, so a second run adds
// requests, not a second effect or job.

// DeliveryBatchArgs names the deliveries one group commit stored.
type DeliveryBatchArgs struct {
	DeliveryIDs []string `json:"delivery_ids"`
}

// DeliveryBatchKind is the River kind of DeliveryBatchArgs.
const DeliveryBatchKind = "github_delivery_batch"

// Kind implements river.JobArgs.
func (DeliveryBatchArgs) Kind() string { return DeliveryBatchKind }

// unit is one piece of a delivery's work: the handler of its event, or one
// workflow of an event several handle.
type unit struct {
	kind string
	log  *slog.Logger
	work func(ctx context.Context, a WebhookArgs) error
	// retry is the job that takes the work over when the inline attempt fails.
	retry func(a WebhookArgs) river.JobArgs
}

// units lists the work a delivery of event needs, as the registrations
// (HandleWebhook, Route) say; none for an event nothing handles.
func (q *Queue) units(a WebhookArgs) []unit {
	q.mu.RLock()
	routes, h := q.fanout[a.Event], q.webhooks[a.Event]
	q.mu.RUnlock()
	log := q.log.With(slog.String("delivery", a.DeliveryID), slog.String("event", a.Event),
		slog.String("action", a.Action), slog.Int64("installation", a.InstallationID))
	if len(routes) > 1 {
		out := make([]unit, len(routes))
		for i, r := range routes {
			out[i] = unit{
				kind: WorkflowKind, log: log.With(slog.String("workflow", r.Workflow)),
				work:  func(ctx context.Context, a WebhookArgs) error { return r.Handle(ctx, a.delivery()) },
				retry: func(a WebhookArgs) river.JobArgs { return WorkflowArgs{WebhookArgs: a.stored(), Workflow: r.Workflow} },
			}
		}
		return out
	}
	if h == nil {
		return nil
	}
	return []unit{{kind: WebhookKind, log: log, work: h, retry: func(a WebhookArgs) river.JobArgs { return a.stored() }}}
}

// workBatch runs the batch's deliveries, at most MaxWorkers attempts at a
// time across all batches, then queues a job for each piece of work that
// failed.
func (q *Queue) workBatch(ctx context.Context, job *river.Job[DeliveryBatchArgs]) error {
	ds, err := q.loadDeliveries(ctx, job.Args.DeliveryIDs)
	if err != nil {
		return err
	}
	if len(ds) < len(job.Args.DeliveryIDs) {
		q.log.Warn("deliveries of a batch are no longer stored; skipped", slog.Int64("job", job.ID),
			slog.Int("named", len(job.Args.DeliveryIDs)), slog.Int("stored", len(ds)))
	}
	var (
		mu      sync.Mutex
		retries []river.InsertManyParams
		wg      sync.WaitGroup
	)
	for _, d := range ds {
		for _, u := range q.units(d.args) {
			select {
			case q.inline <- struct{}{}:
			case <-ctx.Done():
				// Out of time (or shutting down): the rest is handed over
				// without an attempt.
				mu.Lock()
				retries = append(retries, river.InsertManyParams{Args: u.retry(d.args)})
				mu.Unlock()
				continue
			}
			wg.Go(func() {
				defer func() { <-q.inline }()
				if p, failed := q.runInline(ctx, job.ID, d, u); failed {
					mu.Lock()
					retries = append(retries, p)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(retries) == 0 {
		return nil
	}
	// Queued even when the batch's context ended: that is how the work of
	// a batch cut short by a shutdown survives it.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	res, err := q.InsertMany(ictx, retries)
	if err != nil {
		return fmt.Errorf("queueing the failed work of %d deliveries: %w", len(retries), err)
	}
	q.dueSoon(ictx, res)
	return nil
}

// schedulerInterval is River's default: how often its scheduler makes
// scheduled jobs whose time has come available.
const schedulerInterval = 5 * time.Second

// dueSoon makes the jobs just inserted for a retry within River's scheduler
// interval available at once (they still wait for their scheduled_at): the
// same as River does with a failed attempt, whose retry would otherwise
// wait for the scheduler's next run. Failing only delays those retries.
func (q *Queue) dueSoon(ctx context.Context, res []*rivertype.JobInsertResult) {
	for _, r := range res {
		if r.UniqueSkippedAsDuplicate || r.Job.State != rivertype.JobStateScheduled || time.Until(r.Job.ScheduledAt) > schedulerInterval {
			continue
		}
		if _, err := q.db.SQL.ExecContext(ctx, q.db.Rebind(`UPDATE river_job SET state = 'available' WHERE id = ? AND state = 'scheduled'`), r.Job.ID); err != nil {
			q.log.Warn("making a retry available", slog.Int64("job", r.Job.ID), slog.Any("error", err))
		}
	}
}

// runInline makes the first attempt of one piece of a delivery's work; on
// failure it returns the job that retries it, scheduled as River would have.
func (q *Queue) runInline(ctx context.Context, batchJob int64, d storedDelivery, u unit) (river.InsertManyParams, bool) {
	row := &rivertype.JobRow{ID: batchJob, Kind: u.kind, Attempt: 1, MaxAttempts: q.opts.MaxAttempts,
		AttemptedAt: ptr(time.Now()), ScheduledAt: d.receivedAt, CreatedAt: d.receivedAt}
	err := q.attempt(ctx, u.log, row, func(ctx context.Context) error { return u.work(ctx, d.args) }, nil, true)
	if err == nil {
		return river.InsertManyParams{}, false
	}
	// The job has the attempts River would have left: a snooze spends
	// none, an error the inline one. A permanent failure is given up at the
	// job's first attempt, with the discard callback.
	opts := &river.InsertOpts{ScheduledAt: time.Now(), MaxAttempts: max(1, q.opts.MaxAttempts-1)}
	switch snooze, ok := asSnooze(err); {
	case ok:
		opts.ScheduledAt, opts.MaxAttempts = opts.ScheduledAt.Add(snooze.Duration), q.opts.MaxAttempts
	case isFinal(row, err):
	default:
		policy := q.opts.RetryPolicy
		if policy == nil {
			policy = &river.DefaultClientRetryPolicy{}
		}
		opts.ScheduledAt = policy.NextRetry(row)
	}
	return river.InsertManyParams{Args: u.retry(d.args), InsertOpts: opts}, true
}

func ptr[T any](v T) *T { return &v }
