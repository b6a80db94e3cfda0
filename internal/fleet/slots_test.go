package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// TestReplicasRaceForTheLastSlot: replicas (each its own database handle,
// as separate processes have) ask at the same instant for the last slot of
// an account under each limit; exactly one gets it, every round.
func TestReplicasRaceForTheLastSlot(t *testing.T) {
	const replicas, rounds, limit = 6, 25, 3
	tests := []struct {
		name string
		// seed uses limit-1 slots of owner before the race.
		seed func(t *testing.T, x *fleet.Index, owner string)
		req  fleet.SlotRequest
	}{
		{
			name: "concurrent",
			seed: func(t *testing.T, x *fleet.Index, owner string) {
				for i := range limit - 1 {
					pr := fleet.UpgradePR{Owner: owner, Name: fmt.Sprintf("open%d", i), Template: "svc", TargetVersion: "1.1.0", Number: i + 1, State: fleet.PROpen}
					if err := x.SetUpgradePR(context.Background(), pr); err != nil {
						t.Fatal(err)
					}
				}
			},
			req: fleet.SlotRequest{Concurrent: limit},
		},
		{
			name: "hourly",
			seed: func(t *testing.T, x *fleet.Index, owner string) {
				for i := range limit - 1 {
					pr := fleet.UpgradePR{Owner: owner, Name: fmt.Sprintf("merged%d", i), Template: "svc", TargetVersion: "1.1.0", Number: i + 1,
						State: fleet.PRMerged, OpenedAt: t0.Add(-time.Duration(i+1) * time.Minute)}
					if err := x.SetUpgradePR(context.Background(), pr); err != nil {
						t.Fatal(err)
					}
				}
			},
			req: fleet.SlotRequest{Hourly: limit},
		},
	}
	for _, d := range storetest.Dialects {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", d, tc.name), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				url := storetest.URL(t, d)
				idx := make([]*fleet.Index, replicas)
				for i := range idx {
					db, err := store.Open(ctx, url)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { db.Close() })
					if idx[i], err = fleet.Open(ctx, db); err != nil {
						t.Fatal(err)
					}
				}
				for round := range rounds {
					owner := fmt.Sprintf("acme%d", round)
					tc.seed(t, idx[0], owner)
					start := make(chan struct{})
					var wg sync.WaitGroup
					var mu sync.Mutex
					won, refused := 0, 0
					for i, x := range idx {
						wg.Add(1)
						go func() {
							defer wg.Done()
							req := tc.req
							req.Owner, req.Name, req.Template, req.Version, req.Now = owner, fmt.Sprintf("repo%d", i), "svc", "1.1.0", t0
							<-start
							_, err := x.ReservePRSlot(ctx, req)
							mu.Lock()
							defer mu.Unlock()
							switch {
							case err == nil:
								won++
							case errors.Is(err, fleet.ErrLimit):
								refused++
							default:
								t.Errorf("replica %d: %v", i, err)
							}
						}()
					}
					close(start)
					wg.Wait()
					if won != 1 || refused != replicas-1 {
						t.Fatalf("round %d: %d replicas got the last slot, %d were refused; want 1 and %d", round, won, refused, replicas-1)
					}
				}
			})
		}
	}
}

// slotReq asks for a slot of acme/name at t0+at under the limits.
func slotReq(name string, at time.Duration, concurrent, hourly int) fleet.SlotRequest {
	return fleet.SlotRequest{Owner: "acme", Name: name, Template: "svc", Version: "1.1.0",
		Concurrent: concurrent, Hourly: hourly, TTL: 10 * time.Minute, Now: t0.Add(at)}
}

// openPR is acme/name's pull request number, opened at t0+at.
func openPR(name string, number int, at time.Duration) fleet.UpgradePR {
	return fleet.UpgradePR{Owner: "acme", Name: name, Template: "svc", TargetVersion: "1.1.0", Number: number, State: fleet.PROpen, OpenedAt: t0.Add(at)}
}

func mustReserve(t *testing.T, x *fleet.Index, r fleet.SlotRequest) fleet.Slot {
	t.Helper()
	s, err := x.ReservePRSlot(context.Background(), r)
	if err != nil {
		t.Fatalf("reserving for %s at %s: %v", r.Name, r.Now.Format(time.Kitchen), err)
	}
	return s
}

func refused(t *testing.T, x *fleet.Index, r fleet.SlotRequest, limit string) *fleet.LimitError {
	t.Helper()
	_, err := x.ReservePRSlot(context.Background(), r)
	var le *fleet.LimitError
	if !errors.As(err, &le) || le.Limit != limit {
		t.Fatalf("reserving for %s at %s = %v; want the %s limit", r.Name, r.Now.Format(time.Kitchen), err, limit)
	}
	return le
}

// TestSlots: the life of reservations under both limits, on a fake clock.
func TestSlots(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, x *fleet.Index)
	}{
		{"hourly counts two pull requests of one repository", func(t *testing.T, x *fleet.Index) {
			ctx := context.Background()
			s := mustReserve(t, x, slotReq("a", 0, 0, 2))
			if err := x.ConfirmPRSlot(ctx, s, openPR("a", 1, 0)); err != nil {
				t.Fatal(err)
			}
			// Closed unmerged; a newer version opens a new pull request.
			closed := openPR("a", 1, 0)
			closed.State, closed.OpenedAt = fleet.PRClosed, time.Time{}
			if err := x.SetUpgradePR(ctx, closed); err != nil {
				t.Fatal(err)
			}
			s = mustReserve(t, x, slotReq("a", 10*time.Minute, 0, 2))
			if err := x.ConfirmPRSlot(ctx, s, openPR("a", 2, 10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			got, err := x.UpgradePRsOpenedSince(ctx, "acme", t0)
			if want := []time.Time{t0, t0.Add(10 * time.Minute)}; err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("opened since %s = %v, %v; want %v", t0, got, err, want)
			}
			le := refused(t, x, slotReq("b", 20*time.Minute, 0, 2), "hourly")
			if !le.RetryAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("RetryAt = %s, want %s (the first opening leaves the window)", le.RetryAt, t0.Add(time.Hour))
			}
			mustReserve(t, x, slotReq("b", time.Hour+time.Second, 0, 2))
		}},
		{"a failed creation frees its slot after expiry", func(t *testing.T, x *fleet.Index) {
			mustReserve(t, x, slotReq("a", 0, 1, 1)) // never confirmed nor released
			refused(t, x, slotReq("b", time.Minute, 1, 0), "concurrent")
			refused(t, x, slotReq("b", 9*time.Minute, 0, 1), "hourly")
			mustReserve(t, x, slotReq("b", 10*time.Minute, 1, 1))
		}},
		{"a released slot is free at once", func(t *testing.T, x *fleet.Index) {
			s := mustReserve(t, x, slotReq("a", 0, 1, 1))
			refused(t, x, slotReq("b", 0, 1, 1), "concurrent")
			if err := x.ReleasePRSlot(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			mustReserve(t, x, slotReq("b", 0, 1, 1))
		}},
		{"a retry of the same job replaces its own slot", func(t *testing.T, x *fleet.Index) {
			mustReserve(t, x, slotReq("a", 0, 1, 1))
			mustReserve(t, x, slotReq("a", time.Minute, 1, 1))
			refused(t, x, slotReq("b", time.Minute, 1, 1), "concurrent")
		}},
		{"a confirmed slot is counted once", func(t *testing.T, x *fleet.Index) {
			ctx := context.Background()
			s := mustReserve(t, x, slotReq("a", 0, 2, 0))
			if err := x.ConfirmPRSlot(ctx, s, openPR("a", 1, 0)); err != nil {
				t.Fatal(err)
			}
			if n, err := x.CountUpgradePRs(ctx, "acme", fleet.PROpen); err != nil || n != 1 {
				t.Fatalf("open upgrade PRs = %d, %v; want 1", n, err)
			}
			// Long after the reservation's expiry the pull request still
			// counts, as an open one.
			mustReserve(t, x, slotReq("b", time.Hour, 2, 0))
			refused(t, x, slotReq("c", time.Hour, 2, 0), "concurrent")
		}},
		{"a slot that expired before its confirmation still records the opening", func(t *testing.T, x *fleet.Index) {
			ctx := context.Background()
			s := mustReserve(t, x, slotReq("a", 0, 0, 1))
			mustReserve(t, x, slotReq("b", 11*time.Minute, 0, 5)) // deletes a's expired reservation
			if err := x.ConfirmPRSlot(ctx, s, openPR("a", 1, 12*time.Minute)); err != nil {
				t.Fatal(err)
			}
			got, err := x.UpgradePRsOpenedSince(ctx, "acme", t0)
			if err != nil || len(got) != 1 || !got[0].Equal(t0.Add(12*time.Minute)) {
				t.Fatalf("opened since = %v, %v; want a's opening", got, err)
			}
		}},
		{"limits are per owner", func(t *testing.T, x *fleet.Index) {
			mustReserve(t, x, slotReq("a", 0, 1, 1))
			other := slotReq("a", 0, 1, 1)
			other.Owner = "other"
			mustReserve(t, x, other)
			refused(t, x, slotReq("b", 0, 1, 1), "concurrent")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDialect(t, func(t *testing.T, x *fleet.Index, _ *store.DB) { tt.run(t, x) })
		})
	}
}

// TestMigratesOpenedAtIntoOpenings: a database of the version that kept one
// opened_at per pull request row keeps counting those openings after the
// upgrade, once each however many replicas migrate.
func TestMigratesOpenedAtIntoOpenings(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, d)
			old := `CREATE TABLE goldenpath_upgrade_pr (
				owner_key TEXT NOT NULL, name_key TEXT NOT NULL, template TEXT NOT NULL,
				owner TEXT NOT NULL, name TEXT NOT NULL, target_version TEXT NOT NULL,
				number INTEGER NOT NULL, state TEXT NOT NULL, conflicts INTEGER NOT NULL,
				last_error TEXT NOT NULL, updated_at BIGINT NOT NULL, opened_at BIGINT NOT NULL DEFAULT 0,
				PRIMARY KEY (owner_key, name_key, template))`
			if _, err := db.SQL.ExecContext(ctx, old); err != nil {
				t.Fatal(err)
			}
			opened := time.Now().Add(-10 * time.Minute).Truncate(time.Microsecond).UTC()
			if _, err := db.SQL.ExecContext(ctx, db.Rebind(`INSERT INTO goldenpath_upgrade_pr VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				"acme", "api", "go-service", "acme", "api", "1.1.0", 7, fleet.PROpen, 0, "", opened.UnixMicro(), opened.UnixMicro()); err != nil {
				t.Fatal(err)
			}
			var x *fleet.Index
			for range 3 { // every replica migrates at start
				var err error
				if x, err = fleet.Open(ctx, db); err != nil {
					t.Fatalf("opening an older database: %v", err)
				}
			}
			got, err := x.UpgradePRsOpenedSince(ctx, "acme", opened.Add(-time.Hour))
			if err != nil || len(got) != 1 || !got[0].Equal(opened) {
				t.Fatalf("opened since = %v, %v; want [%s]", got, err, opened)
			}
			// Recording the same opening again adds nothing either.
			pr, err := x.UpgradePR(ctx, "acme", "api", "go-service")
			if err != nil {
				t.Fatal(err)
			}
			if err := x.SetUpgradePR(ctx, pr); err != nil {
				t.Fatal(err)
			}
			_, err = x.ReservePRSlot(ctx, fleet.SlotRequest{Owner: "ACME", Name: "web", Template: "go-service", Hourly: 1, Now: opened.Add(time.Minute)})
			if !errors.Is(err, fleet.ErrLimit) {
				t.Fatalf("reserving past the migrated opening = %v; want the hourly limit", err)
			}
		})
	}
}
