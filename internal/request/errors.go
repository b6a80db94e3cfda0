package request

import (
	"errors"
	"time"
)

// RetryLaterError says the job must run again, but not at once: another
// attempt at the same request may still be at work. A queue should snooze
// the job for Wait rather than spend one of its retries.
type RetryLaterError struct {
	Wait   time.Duration
	Reason string
}

func (e *RetryLaterError) Error() string { return e.Reason + ": checking again later" }

// RetryAfter reports whether err asks for a later retry, and how much later.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RetryLaterError
	if errors.As(err, &rl) {
		return rl.Wait, true
	}
	return 0, false
}
