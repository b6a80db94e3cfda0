package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// twoReplicas opens two handles on one new PostgreSQL database, as two
// replicas would.
func twoReplicas(t *testing.T) (*store.DB, *store.DB) {
	t.Helper()
	url := storetest.URL(t, store.Postgres)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return open(), open()
}

// tryLock reports whether db can take key within a short wait.
func tryLock(t *testing.T, db *store.DB, key string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	unlock, err := db.KeyLock(ctx, key)
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("KeyLock(%q): %v", key, err)
		}
		return false
	}
	unlock()
	return true
}

// TestKeyLockAcrossReplicas: a key one handle holds cannot be taken by
// another handle on the same database until it is released, whichever way
// the holder ends: unlock, its context cancelled, a panic.
func TestKeyLockAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	tests := []struct {
		name    string
		release func(t *testing.T, unlock, cancel func()) // ends a's hold
	}{
		{name: "unlock", release: func(_ *testing.T, unlock, _ func()) { unlock() }},
		{name: "cancelled context", release: func(_ *testing.T, unlock, cancel func()) {
			cancel() // the job's context ends before its deferred unlock
			unlock()
		}},
		{name: "panic", release: func(t *testing.T, unlock, _ func()) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			defer unlock() // what a caller's deferred unlock does
			panic("job failed")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "repo acme/" + tc.name
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			unlock, err := a.KeyLock(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if tryLock(t, b, key) {
				t.Fatal("the second replica took a key the first holds")
			}
			if !tryLock(t, b, "repo acme/another") {
				t.Fatal("a held key blocked another key")
			}
			tc.release(t, unlock, cancel)
			if !tryLock(t, b, key) {
				t.Fatal("the second replica cannot take the key after its release")
			}
			if !tryLock(t, a, key) {
				t.Fatal("the first replica cannot take the key again")
			}
		})
	}
}

// TestKeyLockWaitCancelled: a replica waiting for a key another holds stops
// when its context ends, promptly, and holds nothing afterwards (even if the
// database granted the lock as the wait was cancelled).
func TestKeyLockWaitCancelled(t *testing.T) {
	a, b := twoReplicas(t)
	const key = "dashboard acme/templates"
	unlock, err := a.KeyLock(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		u, err := b.KeyLock(ctx, key)
		if err == nil {
			u()
		}
		done <- err
	}()
	// The waiter is inside pg_advisory_lock once the server shows it.
	waitFor(t, func() bool { return waiting(t, a) > 0 })
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled wait: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled wait for a key did not return")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the cancelled wait took %s to return", d)
	}
	unlock()
	if !tryLock(t, a, key) || !tryLock(t, b, key) {
		t.Fatal("the key is still held after the holder released it and the waiter gave up")
	}
}

// TestKeyLockGivesUp: past KeyLockWait a waiter fails with an error that
// says another replica holds the key.
func TestKeyLockGivesUp(t *testing.T) {
	a, b := twoReplicas(t)
	b.KeyLockWait = 200 * time.Millisecond
	unlock, err := a.KeyLock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := b.KeyLock(context.Background(), "k"); err == nil {
		t.Fatal("took a held key")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("gave up with %v, want a deadline", err)
	}
}

// TestKeyLockSQLite: on SQLite KeyLock holds nothing (one process owns the
// file; the in-process lock in front of it serialises).
func TestKeyLockSQLite(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	u1, err := db.KeyLock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer u1()
	u2, err := db.KeyLock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	u2()
}

// waiting counts the sessions waiting for an advisory lock.
func waiting(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	err := db.SQL.QueryRowContext(context.Background(),
		"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
