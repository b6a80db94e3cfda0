package templatesrc

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func TestTags(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, d)
			c := NewDBCache(db)
			if _, _, ok, err := c.Tags(ctx, "acme", "golden-paths"); err != nil || ok {
				t.Fatalf("empty cache: ok=%v err=%v", ok, err)
			}
			t0 := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
			v1 := []github.Tag{{Name: "go-service/v1.0.0", SHA: sha, Type: "commit"}, {Name: "old", SHA: "abc", Type: "tag"}}
			v2 := []github.Tag{{Name: "go-service/v1.1.0", SHA: sha, Type: "commit"}}
			for _, step := range []struct {
				tags []github.Tag
				at   time.Time
				want []github.Tag
				wat  time.Time
			}{
				{v1, t0, v1, t0},
				{v2, t0.Add(time.Minute), v2, t0.Add(time.Minute)},
				{v1, t0, v2, t0.Add(time.Minute)}, // an older read never replaces a newer one
			} {
				if err := c.PutTags(ctx, "Acme", "Golden-Paths", step.tags, step.at); err != nil {
					t.Fatal(err)
				}
				// Another replica: a second DBCache on the same database.
				got, at, ok, err := NewDBCache(db).Tags(ctx, "acme", "golden-paths")
				if err != nil || !ok {
					t.Fatalf("ok=%v err=%v", ok, err)
				}
				if !at.Equal(step.wat) || len(got) != len(step.want) {
					t.Fatalf("got %v at %v, want %v at %v", got, at, step.want, step.wat)
				}
				for i := range got {
					if got[i] != step.want[i] {
						t.Errorf("tag %d: got %+v, want %+v", i, got[i], step.want[i])
					}
				}
			}
			if _, _, ok, _ := c.Tags(ctx, "other", "golden-paths"); ok {
				t.Error("another org's tags were served")
			}
		})
	}
}

func TestArchive(t *testing.T) {
	files := map[string]github.File{
		"templates/go-service/template.yaml":     {Data: []byte("name: go-service\n"), Mode: 0o644},
		"templates/go-service/skeleton/run.sh":   {Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		"templates/go-service/skeleton/link":     {Data: []byte("run.sh"), Mode: fs.ModeSymlink | 0o777},
		"templates/go-service/skeleton/empty.md": {Data: nil, Mode: 0},
	}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, d)
			c := NewDBCache(db)
			if _, ok, err := c.Archive(ctx, "acme", "golden-paths", sha); err != nil || ok {
				t.Fatalf("empty cache: ok=%v err=%v", ok, err)
			}
			if err := c.PutArchive(ctx, "acme", "golden-paths", sha, files); err != nil {
				t.Fatal(err)
			}
			// A repeat keeps the first (and does not fail).
			if err := c.PutArchive(ctx, "acme", "golden-paths", sha, map[string]github.File{"x": {Data: []byte("y")}}); err != nil {
				t.Fatal(err)
			}
			got, ok, err := NewDBCache(db).Archive(ctx, "ACME", "golden-paths", strings.ToUpper(sha))
			if err != nil || !ok {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
			if len(got) != len(files) {
				t.Fatalf("got %d files, want %d: %v", len(got), len(files), got)
			}
			wantMode := map[string]fs.FileMode{
				"templates/go-service/template.yaml":     0o644,
				"templates/go-service/skeleton/run.sh":   0o755,
				"templates/go-service/skeleton/link":     fs.ModeSymlink | 0o777,
				"templates/go-service/skeleton/empty.md": 0o644,
			}
			for p, f := range files {
				g := got[p]
				if !bytes.Equal(g.Data, f.Data) || g.Mode != wantMode[p] {
					t.Errorf("%s: got %q %v, want %q %v", p, g.Data, g.Mode, f.Data, wantMode[p])
				}
			}
			if _, ok, _ := c.Archive(ctx, "other", "golden-paths", sha); ok {
				t.Error("another org's archive was served by SHA")
			}
			big := map[string]github.File{"big": {Data: make([]byte, MaxArchive+1)}}
			if err := c.PutArchive(ctx, "acme", "golden-paths", strings.Repeat("f", 40), big); !errors.Is(err, ErrTooLarge) {
				t.Errorf("an archive above MaxArchive: err=%v, want ErrTooLarge", err)
			}
		})
	}
}

// TestClosedDatabase: a database that is closed fails clearly rather
// than panicking.
func TestClosedDatabase(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	c := NewDBCache(db)
	db.Close()
	if _, _, _, err := c.Tags(context.Background(), "acme", "golden-paths"); err == nil {
		t.Error("no error from a closed database")
	}
}
