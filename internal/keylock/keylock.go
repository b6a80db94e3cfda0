// Package keylock serialises work per key: two workers handling the same
// issue or repository take turns, while different keys run in parallel.
// Inside one process a map of mutexes does it; with several replicas on one
// PostgreSQL database, Across (store.DB.KeyLock) extends the exclusion to
// every replica. The in-process lock stays in front: it is cheap, it keeps a
// process from holding two database connections for one key, and it is all
// SQLite needs (one process holds the SQLite file).
package keylock

import (
	"context"
	"fmt"
	"sync"
)

// Map is a set of locks by key. The zero value is ready to use and locks
// within this process only.
type Map struct {
	// Across, when set, takes key across processes once this process holds
	// it, and returns its release. Every Map sharing one database must use
	// the same key names for the same things.
	Across func(ctx context.Context, key string) (unlock func(), err error)

	mu    sync.Mutex
	locks map[string]*entry
}

type entry struct {
	turn chan struct{} // holds a token while the key is held
	refs int
}

// Lock blocks until key is free (in this process, then across processes),
// takes it, and returns the function that releases it. It gives up when
// ctx ends, or when Across does.
func (m *Map) Lock(ctx context.Context, key string) (unlock func(), err error) {
	e := m.ref(key)
	select {
	case e.turn <- struct{}{}:
	case <-ctx.Done():
		m.unref(key, e)
		return nil, fmt.Errorf("waiting for lock %q: %w", key, ctx.Err())
	}
	local := func() {
		<-e.turn
		m.unref(key, e)
	}
	if m.Across == nil {
		return local, nil
	}
	held := false
	defer func() {
		if !held { // an error or a panic in Across
			local()
		}
	}()
	across, err := m.Across(ctx, key)
	if err != nil {
		return nil, err
	}
	held = true
	return func() {
		defer local()
		across()
	}, nil
}

func (m *Map) ref(key string) *entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks == nil {
		m.locks = map[string]*entry{}
	}
	e := m.locks[key]
	if e == nil {
		e = &entry{turn: make(chan struct{}, 1)}
		m.locks[key] = e
	}
	e.refs++
	return e
}

func (m *Map) unref(key string, e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(m.locks, key)
	}
}

// size reports how many keys are held or awaited (for tests).
func (m *Map) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}
