package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
)

// WebhookHandler works one delivery. Returning an error retries the job with
// backoff; Permanent(err) gives up at once (a final 422, a bad payload).
type WebhookHandler func(ctx context.Context, args WebhookArgs) error

// Permanent marks err as not worth retrying: the job is given up at once
// and the discard callback runs.
func Permanent(err error) error { return river.JobCancel(err) }

// HandleWebhook routes deliveries of one event (issues, push, …) to h.
// Deliveries of events without a handler complete without work.
func (q *Queue) HandleWebhook(event string, h WebhookHandler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.webhooks[event] = h
}

// OnWebhookDiscard sets the function told when a delivery's job has failed
// for the last time (attempts exhausted or Permanent), with its last error;
// the request workflow uses it to explain the failure on the issue. It runs
// inside the job's last attempt, before the job is marked discarded.
func (q *Queue) OnWebhookDiscard(fn func(ctx context.Context, args WebhookArgs, err error)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.onDiscard = fn
}

func (q *Queue) workWebhook(ctx context.Context, job *river.Job[WebhookArgs]) error {
	q.mu.RLock()
	h := q.webhooks[job.Args.Event]
	onDiscard := q.onDiscard
	q.mu.RUnlock()
	log := q.log.With(slog.String("delivery", job.Args.DeliveryID), slog.String("event", job.Args.Event),
		slog.String("action", job.Args.Action), slog.Int64("installation", job.Args.InstallationID))
	if h == nil {
		log.Debug("no handler for event; delivery ignored")
		return nil
	}
	discard := func(ctx context.Context, err error) {
		if job.Args.BodyStored {
			q.markFailed(ctx, job.Args.DeliveryID)
		}
		if onDiscard != nil {
			onDiscard(ctx, job.Args, err)
		}
	}
	return q.run(ctx, log, job.JobRow, func(ctx context.Context) (err error) {
		// Loaded inside the attempt: a failed read is retried like any
		// failed attempt, and the discard callback sees the payload.
		if job.Args, err = q.load(ctx, job.Args); err != nil {
			return err
		}
		return h(ctx, job.Args)
	}, discard)
}

// AddWorker registers the work function for job kind T (an upgrade of one
// repository, a reconcile…), with the queue's logging, metrics, panic
// recovery and discard handling. onDiscard may be nil. Call before Start.
func AddWorker[T river.JobArgs](q *Queue, work func(ctx context.Context, job *river.Job[T]) error, onDiscard func(ctx context.Context, job *river.Job[T], err error)) error {
	return river.AddWorkerSafely(q.workers, river.WorkFunc(func(ctx context.Context, job *river.Job[T]) error {
		var discard func(ctx context.Context, err error)
		if onDiscard != nil {
			discard = func(ctx context.Context, err error) { onDiscard(ctx, job, err) }
		}
		log := q.log.With(slog.String("kind", job.Kind), slog.Int64("job", job.ID))
		return q.run(ctx, log, job.JobRow, func(ctx context.Context) error { return work(ctx, job) }, discard)
	}))
}

// run is the common wrapper around every attempt.
func (q *Queue) run(ctx context.Context, log *slog.Logger, row *rivertype.JobRow, work func(context.Context) error, discard func(context.Context, error)) error {
	return q.attempt(ctx, log, row, work, discard, false)
}

// attempt is run, also for a delivery's first attempt inside a batch
// (inline): a failure of any kind there is not final, the caller makes it a
// River job that retries (batch.go), so it counts as retried or snoozed.
func (q *Queue) attempt(ctx context.Context, log *slog.Logger, row *rivertype.JobRow, work func(context.Context) error, discard func(context.Context, error), inline bool) (err error) {
	start := time.Now()
	q.metrics.wait.WithLabelValues(row.Kind).Observe(max(0, start.Sub(row.ScheduledAt).Seconds()))
	defer func() {
		// A panic in a handler must not kill the process; it counts as a
		// failed attempt like any other error.
		if p := recover(); p != nil {
			log.Error("job panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("job panicked: %v", p)
		}
		q.metrics.duration.WithLabelValues(row.Kind).Observe(time.Since(start).Seconds())
		reason := err
		err = toRiver(err)
		switch {
		case err == nil:
			q.metrics.outcomes.WithLabelValues(row.Kind, OutcomeCompleted).Inc()
		case job.GaveUp(err):
			q.metrics.outcomes.WithLabelValues(row.Kind, OutcomeGivenUp).Inc()
			log.Info("job given up; its reason was shown to the user", slog.Any("reason", err))
			err = nil
		case isSnooze(err):
			q.metrics.outcomes.WithLabelValues(row.Kind, OutcomeSnoozed).Inc()
			log.Info("job snoozed", slog.Any("reason", reason))
		case inline:
			q.metrics.outcomes.WithLabelValues(row.Kind, OutcomeRetried).Inc()
			log.Warn("first attempt failed; queued as a job to retry", slog.Any("error", err))
		case isFinal(row, err):
			q.metrics.outcomes.WithLabelValues(row.Kind, OutcomeDiscarded).Inc()
			log.Error("job discarded", slog.Int("attempt", row.Attempt), slog.Int("max_attempts", row.MaxAttempts), slog.Any("error", err))
			if discard != nil {
				// The job's own context may be cancelled (timeout); explaining
				// the failure still deserves a bounded chance.
				dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				discard(dctx, unwrapCancel(err))
			}
		default:
			q.metrics.outcomes.WithLabelValues(row.Kind, OutcomeRetried).Inc()
			log.Warn("job failed; will retry", slog.Int("attempt", row.Attempt), slog.Int("max_attempts", row.MaxAttempts), slog.Any("error", err))
		}
	}()
	return work(ctx)
}

func isFinal(row *rivertype.JobRow, err error) bool {
	var cancel *rivertype.JobCancelError
	return row.Attempt >= row.MaxAttempts || errors.As(err, &cancel)
}

func isSnooze(err error) bool {
	_, ok := asSnooze(err)
	return ok
}

func unwrapCancel(err error) error {
	var cancel *rivertype.JobCancelError
	if errors.As(err, &cancel) && cancel.Unwrap() != nil {
		return cancel.Unwrap()
	}
	return err
}

func asSnooze(err error) (*rivertype.JobSnoozeError, bool) {
	var snooze *rivertype.JobSnoozeError
	return snooze, errors.As(err, &snooze)
}
