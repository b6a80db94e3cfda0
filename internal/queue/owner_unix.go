//go:build unix

package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ownerLock is an flock on a file beside a SQLite database. Every process
// using the database holds it shared; a starting process that gets it
// exclusively is the only one alive, whatever happened to the others (the
// kernel drops a dead process's locks).
type ownerLock struct {
	f    *os.File
	sole bool
}

func lockOwner(ctx context.Context, dbPath string) (*ownerLock, error) {
	if dbPath == "" {
		return nil, nil // a temporary database: nobody else can open it
	}
	path := dbPath + "-owner"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the SQLite owner lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		return &ownerLock{f: f, sole: true}, nil
	} else if !errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// Another live process uses the database: share it (its exclusive hold
	// lasts only while it rescues at start).
	l := &ownerLock{f: f}
	if err := l.share(ctx); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// share turns the lock into a shared one, waiting (bounded by ctx and 30 s)
// while a starting process holds it exclusively.
func (l *ownerLock) share(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			l.sole = false
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("sharing the SQLite owner lock %s: %w", l.f.Name(), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sharing the SQLite owner lock %s: still held exclusively after 30s", l.f.Name())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sharing the SQLite owner lock %s: %w", l.f.Name(), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (l *ownerLock) release() {
	if l != nil {
		l.f.Close() // closing the descriptor drops the lock
	}
}
