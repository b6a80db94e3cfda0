// Package adoptionjobs puts the adoption workflow on the durable queue: the
// Enqueuer the workflow writes its jobs with and the workers that run them.
// The workflow itself imports no River package.
package adoptionjobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/adoption"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/upgradejobs"
)

// Enqueuer writes the workflow's jobs to the queue.
type Enqueuer struct {
	Q *queue.Queue
	// CommentEvery bounds how often one issue's comment is rewritten: asks
	// within one period become one job at its end (default 2s; at least
	// 1s, River's smallest unique period).
	CommentEvery time.Duration
}

var _ adoption.Enqueuer = (*Enqueuer)(nil)

// EnqueueRepos inserts one job per repository; a job already queued for the
// same request, repository, version and cause is not added again, so a
// redelivered adoption issue adds nothing.
func (e *Enqueuer) EnqueueRepos(ctx context.Context, jobs []adoption.RepoArgs) error {
	return upgradejobs.InsertUnique(ctx, e.Q, jobs, "adoption jobs")
}

// EnqueueComment schedules the issue's comment refresh at the end of the
// current period, unique within it.
func (e *Enqueuer) EnqueueComment(ctx context.Context, job adoption.CommentArgs) error {
	every := max(e.CommentEvery, time.Second)
	if e.CommentEvery <= 0 {
		every = 2 * time.Second
	}
	if _, err := e.Q.Insert(ctx, job, upgradejobs.AtPeriodEnd(time.Now(), every, 8)); err != nil {
		return fmt.Errorf("queueing the comment refresh of %s/%s#%d: %w", job.Org, job.TemplatesRepo, job.Issue, err)
	}
	return nil
}

// Register adds the adoption workers to q. Call before q.Start.
func Register(q *queue.Queue, w *adoption.Workflow) error {
	if err := queue.AddWorker(q, func(ctx context.Context, job *river.Job[adoption.RepoArgs]) error {
		return w.AdoptRepo(ctx, job.Args)
	}, func(ctx context.Context, job *river.Job[adoption.RepoArgs], err error) {
		w.OnDiscard(ctx, job.Args, err)
	}); err != nil {
		return fmt.Errorf("registering the adoption worker: %w", err)
	}
	if err := queue.AddWorker(q, func(ctx context.Context, job *river.Job[adoption.CommentArgs]) error {
		return w.RefreshComment(ctx, job.Args)
	}, nil); err != nil {
		return fmt.Errorf("registering the adoption comment worker: %w", err)
	}
	return nil
}
