package fleet

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// Kinds of goldenpath_pr_opening rows.
const (
	kindOpened   = "opened"
	kindReserved = "reserved"
)

// openingRetention is how long openings are kept: longer than any
// prHourlyLimit window.
const openingRetention = 24 * time.Hour

// slotLockClass is the first key of the PostgreSQL advisory locks taken per
// owner while a slot is reserved (the second is a hash of the owner). The
// two-key form lives apart from the one-key migration lock.
const slotLockClass = 0x676f6c64 // "gold"

// openingID names the opening of owner/name's pull request for template at
// opened (Unix microseconds): the same opening recorded twice is one row.
func openingID(owner, name, template string, opened int64) string {
	return fmt.Sprintf("%s/%s/%s@%d", key(owner), key(name), template, opened)
}

// SlotRequest asks for a slot to open one upgrade pull request under an
// owner's (account's) limits.
type SlotRequest struct {
	Owner, Name, Template, Version string
	// Concurrent is prConcurrentLimit: open upgrade PRs plus slots reserved
	// and not yet confirmed (0: unlimited).
	Concurrent int
	// Hourly is prHourlyLimit: PRs opened in the last Window plus slots
	// reserved (0: unlimited).
	Hourly int
	Window time.Duration // default an hour
	// TTL is how long a reserved slot counts if it is neither confirmed nor
	// released (a replica that died between reserve and create); it must be
	// longer than a job may run.
	TTL time.Duration
	Now time.Time // default the index's clock
}

// Slot is a reserved slot: confirm it once the pull request is open, or
// release it if it will not be.
type Slot struct {
	ID        string
	ExpiresAt time.Time
}

// LimitError says a slot was refused: Limit is "concurrent" or "hourly";
// RetryAt, when not zero, is when the hourly window frees a slot.
type LimitError struct {
	Owner   string
	Limit   string
	N       int
	RetryAt time.Time
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s upgrade PR limit of %s reached (%d)", e.Limit, e.Owner, e.N)
}

// ErrLimit matches every *LimitError with errors.Is.
var ErrLimit = errors.New("upgrade PR limit reached")

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// ReservePRSlot checks the owner's limits and, if a pull request may be
// opened, reserves the slot, both in one transaction that holds the owner's
// lock (a PostgreSQL advisory transaction lock; SQLite's write lock, taken
// at BEGIN since the store opens immediate transactions), so that replicas
// racing for the last slot cannot both take it. Over a limit it returns a
// *LimitError. A slot the same repository and template reserved before (an
// earlier attempt of the same job) is replaced, not added to.
func (x *Index) ReservePRSlot(ctx context.Context, r SlotRequest) (Slot, error) {
	if r.Owner == "" || r.Name == "" || r.Template == "" {
		return Slot{}, fmt.Errorf("reserving an upgrade PR slot for %s/%s: owner, name and template are required", r.Owner, r.Name)
	}
	if r.Window <= 0 {
		r.Window = time.Hour
	}
	if r.TTL <= 0 {
		r.TTL = 15 * time.Minute
	}
	if r.Now.IsZero() {
		r.Now = x.now()
	}
	wrap := func(err error) error {
		return fmt.Errorf("reserving an upgrade PR slot for %s/%s: %w", r.Owner, r.Name, err)
	}
	owner, now := key(r.Owner), micros(r.Now)
	var slot Slot
	var refused *LimitError
	err := x.inOwnerTx(ctx, owner, func(tx *sql.Tx) error {
		// Expired reservations, this job's own earlier one and openings
		// older than any window go first.
		if _, err := tx.ExecContext(ctx, x.db.Rebind(`
			DELETE FROM goldenpath_pr_opening WHERE owner_key = ? AND (
				(kind = ? AND (expires_at <= ? OR (name_key = ? AND template = ?)))
				OR (kind = ? AND opened_at < ?))`),
			owner, kindReserved, now, key(r.Name), r.Template, kindOpened, micros(r.Now.Add(-max(openingRetention, 2*r.Window)))); err != nil {
			return err
		}
		if r.Concurrent > 0 {
			var open, reserved int
			if err := tx.QueryRowContext(ctx, x.db.Rebind(`SELECT COUNT(*) FROM goldenpath_upgrade_pr WHERE owner_key = ? AND state = ?`), owner, PROpen).Scan(&open); err != nil {
				return err
			}
			// A reservation whose pull request is already recorded open is
			// counted once.
			if err := tx.QueryRowContext(ctx, x.db.Rebind(`
				SELECT COUNT(*) FROM goldenpath_pr_opening r WHERE r.owner_key = ? AND r.kind = ?
				AND NOT EXISTS (SELECT 1 FROM goldenpath_upgrade_pr p
					WHERE p.owner_key = r.owner_key AND p.name_key = r.name_key AND p.template = r.template AND p.state = ?)`),
				owner, kindReserved, PROpen).Scan(&reserved); err != nil {
				return err
			}
			if open+reserved >= r.Concurrent {
				refused = &LimitError{Owner: r.Owner, Limit: "concurrent", N: r.Concurrent}
				return nil
			}
		}
		if r.Hourly > 0 {
			// Reservations count from when they were taken.
			rows, err := tx.QueryContext(ctx, x.db.Rebind(`
				SELECT opened_at FROM goldenpath_pr_opening WHERE owner_key = ? AND (kind = ? OR opened_at > ?)`),
				owner, kindReserved, micros(r.Now.Add(-r.Window)))
			if err != nil {
				return err
			}
			var times []int64
			for rows.Next() {
				var us int64
				if err := rows.Scan(&us); err != nil {
					rows.Close()
					return err
				}
				times = append(times, us)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(times) >= r.Hourly {
				sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
				// The slot frees when the opening that keeps the count at
				// the limit leaves the window.
				at := fromMicros(times[len(times)-r.Hourly]).Add(r.Window)
				refused = &LimitError{Owner: r.Owner, Limit: "hourly", N: r.Hourly, RetryAt: at}
				return nil
			}
		}
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		slot = Slot{ID: "reserved:" + hex.EncodeToString(b[:]), ExpiresAt: r.Now.Add(r.TTL)}
		_, err := tx.ExecContext(ctx, x.db.Rebind(`
			INSERT INTO goldenpath_pr_opening (id, owner_key, name_key, template, version, kind, opened_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			slot.ID, owner, key(r.Name), r.Template, r.Version, kindReserved, now, micros(slot.ExpiresAt))
		return err
	})
	if err != nil {
		return Slot{}, wrap(err)
	}
	if refused != nil {
		return Slot{}, refused
	}
	return slot, nil
}

// ConfirmPRSlot records the pull request opened in slot (pr.OpenedAt is
// required) and turns the reservation into an opening, in one transaction
// so that the pull request is counted exactly once throughout. A slot that
// expired meanwhile is no error: the opening is recorded all the same.
func (x *Index) ConfirmPRSlot(ctx context.Context, slot Slot, pr UpgradePR) error {
	if pr.Owner == "" || pr.Name == "" || pr.Template == "" || pr.OpenedAt.IsZero() {
		return fmt.Errorf("confirming the upgrade PR slot of %s/%s: owner, name, template and OpenedAt are required", pr.Owner, pr.Name)
	}
	err := x.inOwnerTx(ctx, key(pr.Owner), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, x.db.Rebind(`DELETE FROM goldenpath_pr_opening WHERE id = ? AND kind = ?`), slot.ID, kindReserved); err != nil {
			return err
		}
		return x.setUpgradePR(ctx, tx, pr)
	})
	if err != nil {
		return fmt.Errorf("confirming the upgrade PR slot of %s/%s: %w", pr.Owner, pr.Name, err)
	}
	return nil
}

// ReleasePRSlot gives a reserved slot back (no pull request was opened).
// Releasing a confirmed or unknown slot does nothing.
func (x *Index) ReleasePRSlot(ctx context.Context, slot Slot) error {
	_, err := x.db.SQL.ExecContext(ctx, x.db.Rebind(`DELETE FROM goldenpath_pr_opening WHERE id = ? AND kind = ?`), slot.ID, kindReserved)
	if err != nil {
		return fmt.Errorf("releasing upgrade PR slot %s: %w", slot.ID, err)
	}
	return nil
}

// inOwnerTx runs fn in a transaction that holds owner's lock until it
// ends: on PostgreSQL an advisory transaction lock on the owner (other
// owners go on in parallel); on SQLite the database's write lock, which
// the store takes at BEGIN (immediate transactions).
func (x *Index) inOwnerTx(ctx context.Context, owner string, fn func(tx *sql.Tx) error) error {
	tx, err := x.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if x.db.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, slotLockClass, owner); err != nil {
			return fmt.Errorf("taking the upgrade PR lock of %s: %w", owner, err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
