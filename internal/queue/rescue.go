package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// Crash recovery. A process killed with SIGKILL (an OOM kill, a lost node)
// leaves its jobs in River's `running` state, and River only rescues such
// jobs after RescueStuckJobsAfter, which must exceed the longest attempt
// (JobTimeout, 10 minutes here): a crash would stall every in-flight
// delivery for a quarter of an hour. Instead every process names itself as
// River's client id (River records it in each job's attempted_by), and
// every LeaseRenew each process renews its lease and puts back to
// `available` the running jobs of processes known to be dead:
//
//   - on PostgreSQL, a process whose liveness lock is free (liveness.go:
//     PostgreSQL drops it when the dead process's connection closes, at
//     once for a killed process), or whose lease expired (a lost host):
//     a killed replica's jobs run again within LeaseRenew of the kill (at
//     once when a process starts), those of a vanished host within
//     Lease+LeaseRenew;
//   - on SQLite, a starting process that gets the database's owner lock
//     (owner_unix.go: flock on a file beside the database, dropped by the
//     kernel however a process dies) knows nobody else is alive, and
//     rescues every running job before its workers start; otherwise
//     (another process shares the file) leases decide, as above.
//
// A job that comes back keeps its attempt count, so a job that kills its
// process every time is discarded after MaxAttempts like any failing job.
// A job can run twice only if a process that is alive is taken for dead: it
// lost its database session and its lease (Lease without renewal) while
// working. The workflows re-read GitHub before every write (SPEC §5), so
// that costs requests, not a second repository, comment or pull request.
// River's own rescuer stays as the backstop for jobs of processes that
// never held a lease (an older version): RescueStuckJobsAfter = JobTimeout
// + 5 minutes, greater than the longest attempt, as River's documentation
// asks.

const (
	// DefaultLease is how long a process's lease lasts without renewal.
	DefaultLease = 30 * time.Second
	// DefaultLeaseRenew is how often the lease is renewed and orphans swept.
	DefaultLeaseRenew = 5 * time.Second
	leaseTable        = "goldenpath_queue_lease"
)

// rescuer keeps this process's lease and puts orphaned jobs back.
type rescuer struct {
	db       *store.DB
	log      *slog.Logger
	clientID string
	lease    time.Duration
	renew    time.Duration
	jobs     func(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error)
	owner    *ownerLock  // SQLite only
	live     *pgLiveness // PostgreSQL only

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newClientID() (string, error) {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("naming the queue client: %w", err)
	}
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b)), nil
}

// prepare creates the lease table, takes SQLite's owner lock when it is
// free, and writes this process's first lease.
func (r *rescuer) prepare(ctx context.Context) error {
	err := r.db.WithMigrationLock(ctx, func(ctx context.Context) error {
		_, err := r.db.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+leaseTable+` (
			client_id TEXT PRIMARY KEY,
			expires_at BIGINT NOT NULL
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("creating the queue lease table: %w", err)
	}
	if r.db.Dialect == store.SQLite {
		var path string
		if err := r.db.SQL.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
			return fmt.Errorf("finding the SQLite database file: %w", err)
		}
		if r.owner, err = lockOwner(ctx, path); err != nil {
			return err
		}
	}
	if r.db.Dialect == store.Postgres {
		if r.live, err = holdLiveness(ctx, r.db.Pool, r.clientID); err != nil {
			return err
		}
	}
	return r.renewLease(ctx, time.Now())
}

// start rescues what a dead predecessor left (SQLite's sole owner), then
// keeps the lease and sweeps orphans until stopped. Call before River starts.
func (r *rescuer) start(ctx context.Context) error {
	if r.owner != nil && r.owner.sole {
		running, err := r.running(ctx)
		if err != nil {
			return err
		}
		n, err := r.rescueJobs(ctx, orphans(running, func(string) bool { return false }))
		if err != nil {
			return fmt.Errorf("rescuing the jobs of the previous process: %w", err)
		}
		if n > 0 {
			r.log.Warn("rescued running jobs left by a process that died", slog.Int("jobs", n))
		}
		if err := r.owner.share(ctx); err != nil {
			return err
		}
	} else {
		// A replica restarting after a kill finds its predecessor dead at
		// once (PostgreSQL's liveness lock), without waiting for a sweep.
		r.sweepLogged(ctx, time.Now())
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.loop(context.WithoutCancel(ctx))
	return nil
}

func (r *rescuer) loop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.renew)
	defer t.Stop()
	lastRenewed := time.Now()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		tctx, cancel := context.WithTimeout(ctx, r.renew)
		now := time.Now()
		if err := r.renewLease(tctx, now); err != nil {
			r.log.Error("renewing the queue lease", slog.Any("error", err), slog.Duration("since_last", now.Sub(lastRenewed)))
			if now.Sub(lastRenewed) > r.lease {
				r.log.Error("queue lease expired: other processes may rescue and rerun this process's running jobs")
			}
		} else {
			lastRenewed = now
		}
		r.sweepLogged(tctx, now)
		cancel()
	}
}

// Close gives up what Open took beside the database: the lease and the locks
// that tell other processes this one is alive (Stop does it too). Call it
// for a queue dropped without Stop; it is safe to call more than once.
func (q *Queue) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q.rescue.close(ctx)
}

func (r *rescuer) sweepLogged(ctx context.Context, now time.Time) {
	if n, err := r.sweepExpired(ctx, now); err != nil {
		r.log.Warn("sweeping orphaned jobs", slog.Any("error", err))
	} else if n > 0 {
		r.log.Warn("rescued running jobs of a process that died", slog.Int("jobs", n))
	}
}

// close stops the loop and ends the lease (expired, not deleted: a job
// left running, if any, is any live process's to rescue at once).
func (r *rescuer) close(ctx context.Context) {
	r.once.Do(func() {
		if r.stop != nil {
			close(r.stop)
			<-r.done
		}
		if _, err := r.db.SQL.ExecContext(ctx, r.db.Rebind(`UPDATE `+leaseTable+` SET expires_at = 0 WHERE client_id = ?`), r.clientID); err != nil {
			r.log.Warn("releasing the queue lease", slog.Any("error", err))
		}
		r.owner.release()
		r.live.close()
	})
}

func (r *rescuer) renewLease(ctx context.Context, now time.Time) error {
	_, err := r.db.SQL.ExecContext(ctx, r.db.Rebind(`INSERT INTO `+leaseTable+` (client_id, expires_at) VALUES (?, ?)
		ON CONFLICT (client_id) DO UPDATE SET expires_at = excluded.expires_at`), r.clientID, now.Add(r.lease).UnixMicro())
	if err != nil {
		return fmt.Errorf("writing the queue lease of %s: %w", r.clientID, err)
	}
	return nil
}

// sweepExpired rescues the running jobs of processes whose lease expired
// and forgets leases expired for a day.
func (r *rescuer) sweepExpired(ctx context.Context, now time.Time) (int, error) {
	rows, err := r.db.SQL.QueryContext(ctx, `SELECT client_id, expires_at FROM `+leaseTable)
	if err != nil {
		return 0, fmt.Errorf("reading the queue leases: %w", err)
	}
	leases := map[string]time.Time{}
	for rows.Next() {
		var id string
		var exp int64
		if err := rows.Scan(&id, &exp); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reading the queue leases: %w", err)
		}
		leases[id] = time.UnixMicro(exp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading the queue leases: %w", err)
	}
	running, err := r.running(ctx)
	if err != nil {
		return 0, err
	}
	var dead map[string]bool
	if r.live != nil {
		if dead, err = r.live.dead(ctx, owners(running, r.clientID)); err != nil {
			return 0, err
		}
	}
	n, err := r.rescueJobs(ctx, orphans(running, func(client string) bool {
		return alive(leases, dead, client, r.clientID, now)
	}))
	if err != nil {
		return n, err
	}
	_, err = r.db.SQL.ExecContext(ctx, r.db.Rebind(`DELETE FROM `+leaseTable+` WHERE expires_at < ?`), now.Add(-24*time.Hour).UnixMicro())
	if err != nil {
		return n, fmt.Errorf("forgetting old queue leases: %w", err)
	}
	return n, nil
}

// alive tells whether client may still be working its jobs: itself; a
// process that never held a lease (a version without leases, whose
// liveness lock says nothing either: River's own rescuer handles its jobs);
// or one with an unexpired lease whose liveness lock is not free (dead: a
// free lock on PostgreSQL).
func alive(leases map[string]time.Time, dead map[string]bool, client, self string, now time.Time) bool {
	if client == self {
		return true
	}
	exp, ok := leases[client]
	if !ok {
		return true
	}
	return !dead[client] && now.Before(exp)
}

// orphans picks the running jobs whose last attempt belongs to a process
// that is not alive.
func orphans(running []*rivertype.JobRow, alive func(client string) bool) []*rivertype.JobRow {
	var out []*rivertype.JobRow
	for _, j := range running {
		if j.State != rivertype.JobStateRunning {
			continue
		}
		owner := ""
		if len(j.AttemptedBy) > 0 {
			owner = j.AttemptedBy[len(j.AttemptedBy)-1]
		}
		if !alive(owner) {
			out = append(out, j)
		}
	}
	return out
}

// owners lists the processes that last attempted the running jobs, except self.
func owners(running []*rivertype.JobRow, self string) []string {
	var out []string
	for _, j := range running {
		if len(j.AttemptedBy) == 0 {
			continue
		}
		if o := j.AttemptedBy[len(j.AttemptedBy)-1]; o != self && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func (r *rescuer) running(ctx context.Context) ([]*rivertype.JobRow, error) {
	return r.jobs(ctx, river.NewJobListParams().States(rivertype.JobStateRunning).First(10000))
}

// rescueJobs puts jobs back to available, each only if it is still the
// same attempt (another process may have rescued and fetched it meanwhile).
func (r *rescuer) rescueJobs(ctx context.Context, jobs []*rivertype.JobRow) (int, error) {
	now := "now()"
	if r.db.Dialect == store.SQLite {
		now = "datetime('now', 'subsec')"
	}
	n := 0
	for _, j := range jobs {
		res, err := r.db.SQL.ExecContext(ctx, r.db.Rebind(`UPDATE river_job SET state = 'available', scheduled_at = `+now+`
			WHERE id = ? AND state = 'running' AND attempt = ?`), j.ID, j.Attempt)
		if err != nil {
			return n, fmt.Errorf("rescuing job %d (%s): %w", j.ID, j.Kind, err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
			r.log.Info("job rescued", slog.Int64("job", j.ID), slog.String("kind", j.Kind), slog.Int("attempt", j.Attempt), slog.Any("attempted_by", j.AttemptedBy))
		}
	}
	return n, nil
}
