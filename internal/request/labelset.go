package request

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
)

// labelTTL bounds how long this process trusts that a label it created or
// found still exists (a maintainer may delete one): as long as a tag list.
const labelTTL = 10 * time.Minute

// labelWriter creates a templates repository's labels one job at a time in
// this process, and never asks again for a label it created or found
// within labelTTL: concurrent jobs (an installation, pushes to the
// templates repository) send each label's creation once instead of racing
// to it and being answered 422.
type labelWriter struct {
	locks *keylock.Map

	mu    sync.Mutex
	known map[string]time.Time // "owner/repo\x00label", lower case → when known to exist
}

func labelKey(owner, repo, label string) string {
	return strings.ToLower(owner + "/" + repo + "\x00" + label)
}

// ensure makes labels exist in owner/repo through gh.
func (lw *labelWriter) ensure(ctx context.Context, gh GitHub, owner, repo string, labels []github.Label, now time.Time) error {
	unlock, err := lw.locks.Lock(ctx, "labels "+strings.ToLower(owner+"/"+repo))
	if err != nil {
		return err
	}
	defer unlock()
	lw.mu.Lock()
	var missing []github.Label
	for _, l := range labels {
		if at, ok := lw.known[labelKey(owner, repo, l.Name)]; !ok || now.Sub(at) >= labelTTL {
			missing = append(missing, l)
		}
	}
	lw.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	if err := gh.EnsureLabels(ctx, owner, repo, missing); err != nil {
		return err
	}
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.known == nil {
		lw.known = map[string]time.Time{}
	}
	for _, l := range missing {
		lw.known[labelKey(owner, repo, l.Name)] = now
	}
	return nil
}
