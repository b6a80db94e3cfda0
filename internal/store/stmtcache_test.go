package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// The SQLite statement cache must give the same answers as preparing every
// query: the same query repeated, run again while its own rows are still
// open (in one transaction, so on the one connection), with different
// arguments, and more distinct queries than the cache holds.
func TestSQLiteStatementCache(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := db.SQL.ExecContext(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", i, fmt.Sprint("v", i)); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = "SELECT k, v FROM kv WHERE k >= ? ORDER BY k"
	outer, err := tx.QueryContext(ctx, q, 5)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var k int
		var v string
		if err := outer.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		// The same statement text while outer's rows are open.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM kv WHERE k >= ?", k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q, k)
		if err != nil {
			t.Fatalf("the cached query again while its rows are open: %v", err)
		}
		m := 0
		for inner.Next() {
			m++
		}
		inner.Close()
		got = append(got, fmt.Sprintf("%d=%s:%d/%d", k, v, n, m))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	want := "[5=v5:5/5 6=v6:4/4 7=v7:3/3 8=v8:2/2 9=v9:1/1]"
	if fmt.Sprint(got) != want {
		t.Errorf("rows = %v, want %s", got, want)
	}
	// More distinct statements than the cache keeps.
	for i := range 300 {
		var v string
		if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT v /* %d */ FROM kv WHERE k = ?", i), i%10).Scan(&v); err != nil || v != fmt.Sprint("v", i%10) {
			t.Fatalf("query %d = %q, %v", i, v, err)
		}
	}
	// A failing statement is an error, not a cached broken statement.
	for range 2 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", 1, "dup"); err == nil {
			t.Fatal("a duplicate key was inserted")
		}
	}
}
