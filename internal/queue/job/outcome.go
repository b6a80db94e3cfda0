// Package job is what a workflow tells the queue, without knowing the queue:
// how one attempt at a job ended (Retry later, GiveUp, or fail with any other
// error) and which webhook events it handles (Route). The queue package turns
// these into River's vocabulary; workflows import this package and no River
// package.
package job

import (
	"errors"
	"time"
)

// How an attempt ends, as the queue counts it in goldenpath_jobs_total
// (label "outcome"). The set is fixed: dashboards and alerts rely on it.
const (
	// Completed: the handler returned nil.
	Completed = "completed"
	// Snoozed: the handler returned Retry; the job runs again after the
	// wait, and the wait costs no attempt.
	Snoozed = "snoozed"
	// GivenUp: the handler returned GiveUp; the reason was already shown
	// to a person (a comment, the fleet dashboard), so the job ends without
	// a retry and without the discard callback.
	GivenUp = "given_up"
	// Retried: the handler failed with an error and attempts are left.
	Retried = "retried"
	// Discarded: the handler failed for the last time (attempts exhausted,
	// or a permanent error); the discard callback ran.
	Discarded = "discarded"
)

// Outcomes lists every outcome label, in a stable order.
var Outcomes = []string{Completed, Snoozed, GivenUp, Retried, Discarded}

// RetryError asks the queue to run the job again after Wait (at least a
// second) without spending an attempt: another attempt may still be at
// work, or a limit frees up later.
type RetryError struct {
	Wait   time.Duration
	Reason string
}

func (e *RetryError) Error() string {
	return e.Reason + ": checking again later"
}

// Retry asks for another run after wait, for reason.
func Retry(wait time.Duration, reason string) error {
	return &RetryError{Wait: max(wait, time.Second), Reason: reason}
}

// RetryWait reports whether err asks for a later run, and how much later.
func RetryWait(err error) (time.Duration, bool) {
	var r *RetryError
	if errors.As(err, &r) {
		return r.Wait, true
	}
	return 0, false
}

// GiveUpError ends a job that no retry can help, whose reason a person
// already sees where they look.
type GiveUpError struct{ Reason string }

func (e *GiveUpError) Error() string { return "given up: " + e.Reason }

// GiveUp ends the job for reason, already shown to the user.
func GiveUp(reason string) error { return &GiveUpError{Reason: reason} }

// GaveUp reports whether err gives the job up.
func GaveUp(err error) bool {
	var g *GiveUpError
	return errors.As(err, &g)
}

// PermanentError fails a job at once, without retries (a payload that does
// not decode): the discard callback runs with Err.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent fails the job with err, never retried.
func Permanent(err error) error { return &PermanentError{Err: err} }
