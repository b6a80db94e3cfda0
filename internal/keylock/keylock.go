// Package keylock serialises work per key within one process: two workers
// handling the same issue or repository take turns, while different keys run
// in parallel. Entries live only while someone holds or waits for them.
package keylock

import "sync"

// Map is a set of mutexes by key. The zero value is ready to use.
type Map struct {
	mu    sync.Mutex
	locks map[string]*entry
}

type entry struct {
	mu   sync.Mutex
	refs int
}

// Lock blocks until key is free, takes it, and returns the function that
// releases it.
func (m *Map) Lock(key string) (unlock func()) {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = map[string]*entry{}
	}
	e := m.locks[key]
	if e == nil {
		e = &entry{}
		m.locks[key] = e
	}
	e.refs++
	m.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		m.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(m.locks, key)
		}
		m.mu.Unlock()
	}
}

// size reports how many keys are held or awaited (for tests).
func (m *Map) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}
