package upgradejobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
)

// The upgrade and adoption workflows queue their jobs the same two ways:
// one job per repository, unique by its arguments, in batches; and one
// refresh (a dashboard, an adoption issue's comment) at the end of a short
// period, unique within it. Both live here, used by adoptionjobs too.

// insertBatch bounds one InsertMany: a rollout to thousands of
// repositories is inserted in several statements, not one huge one.
const insertBatch = 500

// InsertUnique inserts one job per element of jobs, insertBatch at a time.
// A job is unique by its fields tagged `river:"unique"`, in every state but
// discarded and cancelled, so a redelivered event adds no job. what names
// the jobs in an error ("upgrade jobs").
func InsertUnique[T river.JobArgs](ctx context.Context, q *queue.Queue, jobs []T, what string) error {
	for start := 0; start < len(jobs); start += insertBatch {
		part := jobs[start:min(len(jobs), start+insertBatch)]
		params := make([]river.InsertManyParams, len(part))
		for i, j := range part {
			params[i] = river.InsertManyParams{Args: j, InsertOpts: &river.InsertOpts{MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
		}
		if _, err := q.InsertMany(ctx, params); err != nil {
			return fmt.Errorf("queueing %d %s: %w", len(part), what, err)
		}
	}
	return nil
}

// AtPeriodEnd is the insert options of a refresh: scheduled at the end of
// the current period of length every (now's), unique by its arguments
// within that period, so many asks in one period make one job.
func AtPeriodEnd(now time.Time, every time.Duration, maxAttempts int) *river.InsertOpts {
	at := now.UTC().Truncate(every).Add(every)
	return &river.InsertOpts{MaxAttempts: maxAttempts, ScheduledAt: at, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: every}}
}
