package store_test

import (
	"context"
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
