package queue

import (
	"errors"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
)

// toRiver turns a workflow's job outcome into River's: a job.Retry becomes
// a snooze (no attempt spent), a job.Permanent a cancel (no retry). Other
// errors, job.GiveUp included, pass through; the caller ends a given-up job
// as completed.
func toRiver(err error) error {
	if wait, ok := job.RetryWait(err); ok {
		return river.JobSnooze(wait)
	}
	var perm *job.PermanentError
	if errors.As(err, &perm) {
		return river.JobCancel(perm.Err)
	}
	return err
}
