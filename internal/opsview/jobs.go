package opsview

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/riverqueue/river/rivertype"
)

// Why a job is shown by `goldenpath jobs`.
const (
	ProblemFailed   = "failed"   // discarded or cancelled: it will not run again by itself
	ProblemRetrying = "retrying" // an attempt failed; the next one is scheduled
	ProblemStuck    = "stuck"    // running, or due, for longer than the stuck threshold
)

// ProblemStates are the job states Jobs can classify as problems; list
// these from the queue (plus running and available for stuck jobs).
var ProblemStates = []rivertype.JobState{
	rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateAvailable,
}

// Job is one job worth an operator's look.
type Job struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Problem     string    `json:"problem"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"maxAttempts"`
	CreatedAt   time.Time `json:"createdAt"`
	// Since is when the job entered its problem: finalized, next attempt
	// due, or attempt started.
	Since     time.Time `json:"since"`
	LastError string    `json:"lastError,omitempty"`
}

// Jobs picks the failed, retrying and stuck jobs out of rows: a running job
// is stuck once its attempt started longer than stuckAfter before now, an
// available one once it has been due that long (no worker takes it). The
// result is sorted failed, stuck, retrying, then newest first.
func Jobs(rows []*rivertype.JobRow, now time.Time, stuckAfter time.Duration) []Job {
	var out []Job
	for _, r := range rows {
		j := Job{ID: r.ID, Kind: r.Kind, State: string(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, CreatedAt: r.CreatedAt}
		if n := len(r.Errors); n > 0 {
			j.LastError = r.Errors[n-1].Error
		}
		switch r.State {
		case rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
			j.Problem = ProblemFailed
			if r.FinalizedAt != nil {
				j.Since = *r.FinalizedAt
			}
		case rivertype.JobStateRetryable:
			j.Problem, j.Since = ProblemRetrying, r.ScheduledAt
		case rivertype.JobStateRunning:
			if r.AttemptedAt == nil || now.Sub(*r.AttemptedAt) < stuckAfter {
				continue
			}
			j.Problem, j.Since = ProblemStuck, *r.AttemptedAt
		case rivertype.JobStateAvailable:
			if now.Sub(r.ScheduledAt) < stuckAfter {
				continue
			}
			j.Problem, j.Since = ProblemStuck, r.ScheduledAt
		default:
			continue
		}
		out = append(out, j)
	}
	rank := map[string]int{ProblemFailed: 0, ProblemStuck: 1, ProblemRetrying: 2}
	slices.SortFunc(out, func(a, b Job) int {
		return cmp.Or(cmp.Compare(rank[a.Problem], rank[b.Problem]), b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// CheckRetry says whether `--retry` may put a job in state back in line:
// only jobs that will not run by themselves now (failed, cancelled) or that
// wait for their next attempt. A completed job is never run again.
func CheckRetry(id int64, state rivertype.JobState) error {
	switch state {
	case rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateRetryable:
		return nil
	case rivertype.JobStateRunning:
		return fmt.Errorf("job %d is running now; wait for it to finish or fail", id)
	}
	return fmt.Errorf("job %d is %s, not failed or retrying: nothing to retry", id, state)
}

// WriteJobs prints jobs as an aligned table with a count per problem, or
// as JSON (an array).
func WriteJobs(w io.Writer, jobs []Job, now time.Time, asJSON bool) error {
	if asJSON {
		if jobs == nil {
			jobs = []Job{}
		}
		return writeJSON(w, jobs)
	}
	count := map[string]int{}
	for _, j := range jobs {
		count[j.Problem]++
	}
	fmt.Fprintf(w, "%d failed, %d retrying, %d stuck\n", count[ProblemFailed], count[ProblemRetrying], count[ProblemStuck])
	if len(jobs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nID\tKIND\tPROBLEM\tSTATE\tATTEMPT\tWHEN\tLAST ERROR")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Kind, j.Problem, j.State, j.Attempt, j.MaxAttempts,
			j.when(now), shorten(firstLine(j.LastError), 100))
	}
	return tw.Flush()
}

// when says how long ago the job entered its problem, or for a retrying
// job how soon its next attempt is due.
func (j Job) when(now time.Time) string {
	d := now.Sub(j.Since).Round(time.Second)
	if d < 0 {
		return "next in " + (-d).String()
	}
	return d.String() + " ago"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// shorten cuts s to at most n runes, and drops control characters so an
// error text cannot break the table.
func shorten(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func lower(s string) string { return strings.ToLower(s) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
