// Package upgradejobs puts the upgrade workflow on the durable queue: the
// Enqueuer the workflow writes its jobs with, and the workers and the
// periodic reconcile the queue runs. The workflow itself imports no River
// package: its job argument types only name their kind.
package upgradejobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// Enqueuer writes the workflow's jobs to the queue.
type Enqueuer struct {
	Q *queue.Queue
	// DashboardEvery bounds how often one account's dashboard is rewritten:
	// asks within one period become one job at its end (default 30s; at
	// least 1s, River's smallest unique period).
	DashboardEvery time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

var _ upgrade.Enqueuer = (*Enqueuer)(nil)

// EnqueueUpgrades inserts one job per repository; a job already queued for
// the same repository, tag and cause (the fields tagged unique) is not
// added again, so a redelivered tag push adds no job.
func (e *Enqueuer) EnqueueUpgrades(ctx context.Context, jobs []upgrade.RepoArgs) error {
	return InsertUnique(ctx, e.Q, jobs, "upgrade jobs")
}

// EnqueueDashboard schedules the account's dashboard refresh at the end of
// the current period, unique within it: a rollout of a thousand
// repositories rewrites the issue once a period, not a thousand times.
func (e *Enqueuer) EnqueueDashboard(ctx context.Context, job upgrade.DashboardArgs) error {
	every := e.DashboardEvery
	if every < time.Second {
		every = 30 * time.Second
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	if _, err := e.Q.Insert(ctx, job, AtPeriodEnd(now(), every, 5)); err != nil {
		return fmt.Errorf("queueing the dashboard refresh of %s: %w", job.Owner, err)
	}
	return nil
}

// ReconcileID names the periodic reconcile job.
const ReconcileID = "goldenpath-fleet-reconcile"

// Register adds the upgrade workers to q and, when reconcileEvery > 0, the
// periodic fleet reconcile. Call before q.Start.
func Register(q *queue.Queue, w *upgrade.Workflow, reconcileEvery time.Duration) error {
	err := queue.AddWorker(q, func(ctx context.Context, job *river.Job[upgrade.RepoArgs]) error {
		return w.UpgradeRepo(ctx, job.Args)
	}, func(ctx context.Context, job *river.Job[upgrade.RepoArgs], err error) {
		w.OnDiscard(ctx, job.Args, err)
	})
	if err != nil {
		return fmt.Errorf("registering the upgrade worker: %w", err)
	}
	err = queue.AddWorker(q, func(ctx context.Context, job *river.Job[upgrade.DashboardArgs]) error {
		return w.RefreshDashboard(ctx, job.Args)
	}, nil)
	if err != nil {
		return fmt.Errorf("registering the dashboard worker: %w", err)
	}
	err = queue.AddWorker(q, func(ctx context.Context, job *river.Job[upgrade.ReconcileArgs]) error {
		return w.ReconcileAll(ctx)
	}, nil)
	if err != nil {
		return fmt.Errorf("registering the reconcile worker: %w", err)
	}
	if reconcileEvery > 0 {
		return q.AddPeriodic(ReconcileID, reconcileEvery, func() (river.JobArgs, *river.InsertOpts) {
			return upgrade.ReconcileArgs{}, &river.InsertOpts{MaxAttempts: 3}
		})
	}
	return nil
}
