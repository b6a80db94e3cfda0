package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

func TestOpenBothDialects(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := storetest.Open(t, d)
			if db.Dialect != d {
				t.Fatalf("dialect = %s, want %s", db.Dialect, d)
			}
			ctx := context.Background()
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
			err := db.WithMigrationLock(ctx, func(ctx context.Context) error {
				_, err := db.SQL.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
				return err
			})
			if err != nil {
				t.Fatalf("migrating: %v", err)
			}
			if _, err := db.SQL.ExecContext(ctx, db.Rebind("INSERT INTO t (k, v) VALUES (?, ?)"), "a", "b"); err != nil {
				t.Fatalf("insert: %v", err)
			}
			var v string
			if err := db.SQL.QueryRowContext(ctx, db.Rebind("SELECT v FROM t WHERE k = ?"), "a").Scan(&v); err != nil || v != "b" {
				t.Fatalf("select = %q, %v", v, err)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	for _, u := range []string{"mysql://x", "sqlite://", "sqlite://:memory:", "postgres://user:hunter2@127.0.0.1:1/x?connect_timeout=1"} {
		_, err := store.Open(context.Background(), u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error leaks the password: %v", u, err)
		}
	}
}

func TestRebind(t *testing.T) {
	pg := &store.DB{Dialect: store.Postgres}
	if got := pg.Rebind("a = ? AND b = ?"); got != "a = $1 AND b = $2" {
		t.Fatalf("Rebind = %q", got)
	}
	lite := &store.DB{Dialect: store.SQLite}
	if got := lite.Rebind("a = ?"); got != "a = ?" {
		t.Fatalf("Rebind = %q", got)
	}
}

// TestReadPool: DB.Read sees what SQL committed, and on SQLite it reads
// while SQL's single connection is inside a write transaction (WAL) and
// refuses to write (it is never a second writer).
func TestReadPool(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := storetest.Open(t, d)
			ctx := context.Background()
			if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS readpool (k TEXT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL.ExecContext(ctx, db.Rebind("INSERT INTO readpool (k, v) VALUES (?, ?)"), "a", "committed"); err != nil {
				t.Fatal(err)
			}
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, db.Rebind("UPDATE readpool SET v = ? WHERE k = ?"), "uncommitted", "a"); err != nil {
				t.Fatal(err)
			}
			var v string
			if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT v FROM readpool WHERE k = ?"), "a").Scan(&v); err != nil || v != "committed" {
				t.Fatalf("read during a write transaction = %q, %v; want the committed value", v, err)
			}
			if d == store.SQLite {
				_, err := db.Read.ExecContext(ctx, "INSERT INTO readpool (k, v) VALUES ('b', 'x')")
				if err == nil || !strings.Contains(err.Error(), "readonly") {
					t.Fatalf("a write through the read pool = %v, want a read-only error", err)
				}
			}
		})
	}
}

// TestDurableCommit: on SQLite the connection runs synchronous=NORMAL, a
// BeginDurable transaction runs FULL, and the connection is NORMAL again
// once it is done (committed or rolled back).
func TestDurableCommit(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	synchronous := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		t.Helper()
		var n int
		if err := q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const normal, full = 1, 2
	if got := synchronous(db.SQL); got != normal {
		t.Fatalf("synchronous = %d, want NORMAL (%d)", got, normal)
	}
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE durable (k TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	for _, commit := range []bool{true, false} {
		tx, err := db.BeginDurable(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := synchronous(tx); got != full {
			t.Fatalf("synchronous in a durable transaction = %d, want FULL (%d)", got, full)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO durable (k) VALUES (?)", fmt.Sprint(commit)); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		tx.Done()
		tx.Done()
		if err != nil {
			t.Fatal(err)
		}
		if got := synchronous(db.SQL); got != normal {
			t.Fatalf("synchronous after a durable transaction (commit %v) = %d, want NORMAL", commit, got)
		}
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM durable").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows = %d, %v; want the committed one", n, err)
	}
}
