package store

import (
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

func TestPostgresPoolSize(t *testing.T) {
	base := testenv.PostgresURL(t)
	ctx := t.Context()
	for _, tc := range []struct {
		url  string
		want int32
	}{
		{base, defaultPoolSize},
		{base + "&pool_max_conns=7", 7},
	} {
		db, err := Open(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Pool.Config().MaxConns; got != tc.want {
			t.Errorf("pool for %s: %d connections, want %d", redact(tc.url), got, tc.want)
		}
		db.Close()
	}
}
