package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// lockPoolSize bounds the connections one replica holds for key locks: one
// per key held or awaited, and the queue runs up to 32 jobs, a request's
// job holding two keys at once (its issue, then its templates repository's
// labels). The locks have their own pool so that jobs holding locks can
// never starve River and the fleet index of connections.
const lockPoolSize = 40

// DefaultKeyLockWait bounds how long KeyLock waits for a key another
// replica holds: a job that waits longer fails and is retried later by the
// queue instead of holding a worker.
const DefaultKeyLockWait = 2 * time.Minute

// unlockTimeout bounds the release of a key; past it the connection is
// closed, which releases the key as well.
const unlockTimeout = 5 * time.Second

// keyLockSpace is mixed into every key's hash so the keys do not meet other
// users of advisory locks in the same database by accident.
const keyLockSpace = "goldenpath key lock\x00"

// KeyLockID is the 64-bit advisory lock number of key.
func KeyLockID(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(keyLockSpace))
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// KeyLock excludes key across every replica sharing this PostgreSQL database
// (a session advisory lock on a connection of its own, held until unlock),
// waiting at most KeyLockWait (DefaultKeyLockWait when zero) or until ctx
// ends. On SQLite it returns at once: one process holds the database file,
// and that process's in-memory locks (internal/keylock) suffice.
//
// The unlock function releases the key whatever happened to ctx meanwhile,
// and is safe to call more than once.
func (d *DB) KeyLock(ctx context.Context, key string) (unlock func(), err error) {
	if d.Dialect != Postgres {
		return func() {}, nil
	}
	wait := d.KeyLockWait
	if wait <= 0 {
		wait = DefaultKeyLockWait
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	conn, err := d.lockPool.Acquire(wctx)
	if err != nil {
		return nil, fmt.Errorf("acquiring a connection to lock %q: %w", key, err)
	}
	id := KeyLockID(key)
	held := false
	defer func() {
		if !held {
			// The lock call may have been granted just as it was cancelled
			// (or a panic came through): closing the session is the one
			// sure way not to leave the key held on a pooled connection.
			discard(conn)
		}
	}()
	if _, err := conn.Exec(wctx, "SELECT pg_advisory_lock($1)", id); err != nil {
		if errors.Is(wctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("waiting for lock %q held by another replica: gave up after %s: %w", key, wait, err)
		}
		return nil, fmt.Errorf("locking %q: %w", key, err)
	}
	held = true
	released := false
	return func() {
		if released {
			return
		}
		released = true
		uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		var ok bool
		if err := conn.QueryRow(uctx, "SELECT pg_advisory_unlock($1)", id).Scan(&ok); err != nil || !ok {
			// The session is in doubt (or lost the key with its server
			// connection): end it rather than return it to the pool.
			slog.Warn("releasing a key lock failed; closing its connection", "key", key, "released", ok, "error", err)
			discard(conn)
			return
		}
		conn.Release()
	}, nil
}

// discard closes a pooled connection's session (releasing every advisory
// lock it holds) and returns it to the pool, which drops it.
func discard(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	_ = conn.Conn().Close(ctx)
	conn.Release()
}
