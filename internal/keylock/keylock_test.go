package keylock

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSameKeyTakesTurns(t *testing.T) {
	var m Map
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := m.Lock("acme/payments")
			n := inside.Add(1)
			for {
				old := most.Load()
				if n <= old || most.CompareAndSwap(old, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d holders of one key at once, want 1", most.Load())
	}
	if m.size() != 0 {
		t.Errorf("%d entries left after every unlock, want 0", m.size())
	}
}

func TestDifferentKeysRunTogether(t *testing.T) {
	var m Map
	unlockA := m.Lock("a")
	done := make(chan struct{})
	go func() {
		m.Lock("b")()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a held key blocked another key")
	}
	unlockA()
}
