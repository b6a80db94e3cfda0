package queue_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

type orphanArgs struct {
	Name string `json:"name"`
}

func (orphanArgs) Kind() string { return "test_orphan" }

// TestRescueOrphanedJobs leaves jobs in `running` as a SIGKILLed process
// does, starts a new queue on the same database and checks which come back
// at once: those of a process whose lease expired ("dead") always; those of
// a process with a current lease but no liveness lock ("killed": on
// PostgreSQL its session died with it) on PostgreSQL; those of a live
// process ("live": lease current, liveness lock held) never — except on
// SQLite when the new process owns the database alone, and so knows that
// nobody else is alive.
func TestRescueOrphanedJobs(t *testing.T) {
	tests := []struct {
		dialect store.Dialect
		// otherProcess holds the SQLite owner lock shared, as a live
		// `goldenpath serve` next to the new one would.
		otherProcess bool
		want         []string // jobs worked
	}{
		{dialect: store.SQLite, want: []string{"dead", "killed", "live"}},
		{dialect: store.SQLite, otherProcess: true, want: []string{"dead"}},
		{dialect: store.Postgres, want: []string{"dead", "killed"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/other_process=%v", tt.dialect, tt.otherProcess), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := storetest.Open(t, tt.dialect)
			if tt.otherProcess {
				holdOwnerLock(t, db)
			}
			if tt.dialect == store.Postgres {
				holdLivenessLock(t, db, "live-proc")
			}
			q, err := queue.Open(ctx, db, queue.Options{
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Lease:  2 * time.Second, LeaseRenew: 100 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				q.Stop(sctx)
			})
			var mu sync.Mutex
			var worked []string
			if err := queue.AddWorker(q, func(_ context.Context, job *river.Job[orphanArgs]) error {
				mu.Lock()
				defer mu.Unlock()
				worked = append(worked, job.Args.Name)
				return nil
			}, nil); err != nil {
				t.Fatal(err)
			}
			// Three processes left these jobs running.
			now := time.Now()
			setLease(t, db, "dead-proc", now.Add(-time.Minute))
			setLease(t, db, "killed-proc", now.Add(time.Hour))
			setLease(t, db, "live-proc", now.Add(time.Hour))
			ids := map[string]int64{}
			for _, name := range []string{"dead", "killed", "live"} {
				res, err := q.Insert(ctx, orphanArgs{Name: name}, nil)
				if err != nil {
					t.Fatal(err)
				}
				markRunning(t, db, res.Job.ID, name+"-proc")
				ids[name] = res.Job.ID
			}
			start := time.Now()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			done := func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(worked) >= len(tt.want)
			}
			deadline := time.Now().Add(30 * time.Second)
			for !done() && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			mu.Lock()
			got := slices.Sorted(slices.Values(worked))
			mu.Unlock()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("worked %q, want %q", got, tt.want)
			}
			// The sweep that rescued the dead process's job looked at the live
			// one's too (one sweep reads every running job): it must have
			// left it running.
			for name, id := range ids {
				state := func() string {
					job, err := q.Job(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					return string(job.State)
				}
				if !slices.Contains(tt.want, name) {
					if s := state(); s != "running" {
						t.Errorf("job %q of a live process is %s after the rescue, want running", name, s)
					}
					continue
				}
				deadline := time.Now().Add(30 * time.Second)
				for state() != "completed" && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if s := state(); s != "completed" {
					t.Errorf("job %q is %s, want completed", name, s)
				}
			}
			t.Logf("orphans worked %s after start", time.Since(start).Round(time.Millisecond))
		})
	}
}

func setLease(t *testing.T, db *store.DB, client string, expires time.Time) {
	t.Helper()
	if _, err := db.SQL.Exec(db.Rebind(`INSERT INTO goldenpath_queue_lease (client_id, expires_at) VALUES (?, ?)`), client, expires.UnixMicro()); err != nil {
		t.Fatal(err)
	}
}

// markRunning puts a job where a killed process leaves it: running, first
// attempt, attempted by client.
func markRunning(t *testing.T, db *store.DB, id int64, client string) {
	t.Helper()
	q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY[$1] WHERE id = $2`
	if db.Dialect == store.SQLite {
		q = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'), attempted_by = json_array(?) WHERE id = ?`
	}
	if _, err := db.SQL.Exec(q, client, id); err != nil {
		t.Fatal(err)
	}
}

// holdOwnerLock takes the SQLite owner lock shared for the test's life.
func holdOwnerLock(t *testing.T, db *store.DB) {
	t.Helper()
	var path string
	if err := db.SQL.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path+"-owner", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
}

// holdLivenessLock holds the PostgreSQL liveness lock of client (namespace
// "gpql", key hashtext(client)) for the test's life, as a live process does.
func holdLivenessLock(t *testing.T, db *store.DB, client string) {
	t.Helper()
	c, err := db.Pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn := c.Hijack()
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_lock($1, hashtext($2))`, int32(0x6770716c), client); err != nil {
		t.Fatal(err)
	}
}
