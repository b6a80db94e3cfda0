package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// SQLite commits durably in two ways. With synchronous=FULL every commit
// waits for an fsync of the WAL; with NORMAL (in WAL mode) a commit survives
// a crash of the process but the last ones before a power loss may be lost,
// and the database stays consistent: what is lost is a suffix of the WAL,
// never a transaction in the middle.
//
// goldenpath's SQLite connection runs NORMAL, and the one write whose loss
// would break a promise (SPEC §5: a delivery answered 2xx is worked) — the
// intake's group commit of delivery bodies and their job — runs FULL, in
// BeginDurable. Its fsync also makes every earlier transaction durable.
// Everything else is bookkeeping that a power loss can only roll back to an
// earlier consistent state: a job completed again (the workflows are
// idempotent and check GitHub before they write), the fleet index refreshed
// by the next reconcile. River's own fetches and completions were two
// fsyncs per group commit on the one connection, and the intake waited for
// them (profile in docs/BENCHMARKS.md).

// DurableTx is a transaction committed with an fsync on SQLite.
type DurableTx struct {
	*sql.Tx
	conn *sql.Conn // SQLite: the connection pinned for the pragma
}

// BeginDurable begins a transaction whose commit is on disk when Commit
// returns, power loss included. On PostgreSQL that is every transaction.
// Call Done after Commit or Rollback.
func (d *DB) BeginDurable(ctx context.Context) (*DurableTx, error) {
	if d.Dialect != SQLite {
		tx, err := d.SQL.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &DurableTx{Tx: tx}, nil
	}
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("taking the connection: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("asking for a durable commit: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		err = errors.Join(err, restoreSynchronous(conn))
		conn.Close()
		return nil, err
	}
	return &DurableTx{Tx: tx, conn: conn}, nil
}

// Done gives the connection back, in its usual mode; later calls do nothing.
func (t *DurableTx) Done() {
	if t.conn == nil {
		return
	}
	if err := restoreSynchronous(t.conn); err != nil {
		// Left at FULL the connection is only slower; close it rather
		// than keep a connection whose state is unknown.
		_ = t.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	t.conn.Close()
	t.conn = nil
}

// pragmaTimeout bounds putting the connection back in NORMAL mode.
const pragmaTimeout = 5 * time.Second

func restoreSynchronous(conn *sql.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), pragmaTimeout)
	defer cancel()
	_, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL")
	return err
}
