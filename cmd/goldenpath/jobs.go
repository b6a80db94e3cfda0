package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/opsview"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
)

// jobsListLimit bounds how many jobs `goldenpath jobs` reads.
const jobsListLimit = 10000

// runJobs prints the queue's failed, retrying and stuck jobs, or retries one.
func runJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("jobs", "[--json] [--stuck-after DURATION] [--retry ID] [--database URL]\n\n"+
		"Reads the job queue from DATABASE_URL (environment or .env). Failed jobs\n"+
		"(discarded or cancelled) will not run again unless retried; retrying jobs\n"+
		"wait for their next attempt; stuck jobs have run, or been due, too long.", stderr)
	asJSON := flags.Bool("json", false, "print a JSON array instead of a table")
	stuckAfter := flags.Duration("stuck-after", 15*time.Minute, "a job running or due for this long is stuck")
	retry := flags.Int64("retry", 0, "make this failed or retrying job run again now")
	dbURL := databaseFlag(flags)
	if err := parseNoArgs(flags, args); err != nil {
		return err
	}
	if *stuckAfter <= 0 {
		return exitError{code: 2, msg: "--stuck-after must be positive"}
	}
	db, err := openExistingDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	q, err := queue.Open(ctx, db, queue.Options{})
	if err != nil {
		return err
	}
	// Never started: Close gives back the lease and SQLite's owner lock,
	// which a serve process starting meanwhile waits for.
	defer q.Close()
	if *retry != 0 {
		return retryJob(ctx, q, *retry, stdout)
	}
	rows, err := q.Jobs(ctx, river.NewJobListParams().States(opsview.ProblemStates...).First(jobsListLimit))
	if err != nil {
		return err
	}
	now := time.Now()
	return opsview.WriteJobs(stdout, opsview.Jobs(rows, now, *stuckAfter), now, *asJSON)
}

func retryJob(ctx context.Context, q *queue.Queue, id int64, stdout io.Writer) error {
	job, err := q.Job(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("there is no job %d in the queue (goldenpath jobs lists their ids)", id)
	}
	if err != nil {
		return fmt.Errorf("looking up job %d: %w", id, err)
	}
	if err := opsview.CheckRetry(id, job.State); err != nil {
		return err
	}
	row, err := q.Retry(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "job %d (%s) is %s again: a running goldenpath serve picks it up\n", row.ID, row.Kind, row.State)
	return nil
}
