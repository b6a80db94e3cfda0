package keylock

import (
	"context"
	"errors"
	"fmt"
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
			unlock, err := m.Lock(context.Background(), "acme/payments")
			if err != nil {
				t.Error(err)
				return
			}
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
	unlockA, err := m.Lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		unlock, err := m.Lock(context.Background(), "b")
		if err == nil {
			unlock()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a held key blocked another key")
	}
	unlockA()
}

func TestWaitEndsWithContext(t *testing.T) {
	var m Map
	unlock, err := m.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Lock(ctx, "k")
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled wait for a held key did not return")
	}
	unlock()
	if m.size() != 0 {
		t.Errorf("%d entries left, want 0", m.size())
	}
}

// TestAcross: the process-wide lock is taken after the in-process one and
// released before it; when it fails or panics the in-process lock is freed.
func TestAcross(t *testing.T) {
	var order []string
	var m Map
	fail := errors.New("database down")
	m.Across = func(_ context.Context, key string) (func(), error) {
		switch key {
		case "fails":
			return nil, fail
		case "panics":
			panic("boom")
		}
		order = append(order, "across "+key)
		return func() { order = append(order, "release "+key) }, nil
	}
	unlock, err := m.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if got, want := fmt.Sprint(order), "[across k release k]"; got != want {
		t.Errorf("calls %s, want %s", got, want)
	}
	if _, err := m.Lock(context.Background(), "fails"); !errors.Is(err, fail) {
		t.Errorf("Lock with a failing Across: %v, want %v", err, fail)
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = m.Lock(context.Background(), "panics")
	}()
	if m.size() != 0 {
		t.Errorf("%d entries left after a failed and a panicking Across, want 0", m.size())
	}
}
