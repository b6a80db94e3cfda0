// DBCache is the cache of the templates repository shared by every
// replica through the database: its tag list per repository (with when it
// was read from GitHub) and its files by commit SHA. A replica that starts
// cold, or did not work the templates repository's last push, reads them
// here instead of paying GitHub for them.
//
// Archives are content-addressed by commit SHA: a commit's files never
// change, so an entry never goes stale. The key includes the repository, so
// one organization's templates are never served to another that names the
// same commit.

package templatesrc

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// MaxArchive bounds the files of one archive (their bytes, expanded): a
// larger template repository is read from GitHub each time rather than
// bloating every replica's database rows.
const MaxArchive = 20 << 20

// ErrTooLarge is returned by PutArchive for files above MaxArchive.
var ErrTooLarge = errors.New("template archive too large to share")

// queryTimeout bounds each database call: the cache only spares GitHub
// requests, it must never hold a request up for long.
const queryTimeout = 10 * time.Second

var schema = []string{
	`CREATE TABLE IF NOT EXISTS goldenpath_tmpl_tags (
		repo_key TEXT PRIMARY KEY,
		tags TEXT NOT NULL,
		fetched_at BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS goldenpath_tmpl_archive (
		archive_key TEXT PRIMARY KEY,
		data BYTEA NOT NULL,
		size BIGINT NOT NULL,
		stored_at BIGINT NOT NULL
	)`,
}

// DBCache is the shared cache. Its tables are created on first use, so
// NewDBCache cannot fail and wiring stays one line; a failed creation is retried on
// the next call.
type DBCache struct {
	db  *store.DB
	now func() time.Time

	mu    sync.Mutex
	ready bool
}

// NewDBCache returns the cache on db.
func NewDBCache(db *store.DB) *DBCache { return &DBCache{db: db, now: time.Now} }

func (c *DBCache) init(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready {
		return nil
	}
	err := c.db.WithMigrationLock(ctx, func(ctx context.Context) error {
		for _, stmt := range schema {
			if c.db.Dialect == store.SQLite {
				stmt = strings.ReplaceAll(stmt, "BYTEA", "BLOB")
			}
			if _, err := c.db.SQL.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating the template cache tables: %w", err)
	}
	c.ready = true
	return nil
}

func repoKey(owner, repo string) string { return strings.ToLower(owner + "/" + repo) }

type wireTag struct {
	Name string `json:"name"`
	SHA  string `json:"sha,omitempty"`
	Type string `json:"type,omitempty"`
}

// Tags returns the tag list last stored for owner/repo and when it was read
// from GitHub; ok is false when none is stored.
func (c *DBCache) Tags(ctx context.Context, owner, repo string) (tags []github.Tag, fetchedAt time.Time, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if err := c.init(ctx); err != nil {
		return nil, time.Time{}, false, err
	}
	var data string
	var us int64
	err = c.db.Read.QueryRowContext(ctx, c.db.Rebind(`SELECT tags, fetched_at FROM goldenpath_tmpl_tags WHERE repo_key = ?`), repoKey(owner, repo)).Scan(&data, &us)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("reading the shared tags of %s/%s: %w", owner, repo, err)
	}
	var wire []wireTag
	if err := json.Unmarshal([]byte(data), &wire); err != nil {
		return nil, time.Time{}, false, fmt.Errorf("decoding the shared tags of %s/%s: %w", owner, repo, err)
	}
	tags = make([]github.Tag, len(wire))
	for i, t := range wire {
		tags[i] = github.Tag{Name: t.Name, SHA: t.SHA, Type: t.Type}
	}
	return tags, time.UnixMicro(us), true, nil
}

// PutTags stores the tag list of owner/repo read from GitHub at fetchedAt.
// An older list never replaces a newer one (two replicas racing).
func (c *DBCache) PutTags(ctx context.Context, owner, repo string, tags []github.Tag, fetchedAt time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if err := c.init(ctx); err != nil {
		return err
	}
	wire := make([]wireTag, len(tags))
	for i, t := range tags {
		wire[i] = wireTag{Name: t.Name, SHA: t.SHA, Type: t.Type}
	}
	data, err := json.Marshal(wire)
	if err != nil {
		return fmt.Errorf("encoding the tags of %s/%s: %w", owner, repo, err)
	}
	_, err = c.db.SQL.ExecContext(ctx, c.db.Rebind(`
		INSERT INTO goldenpath_tmpl_tags (repo_key, tags, fetched_at) VALUES (?, ?, ?)
		ON CONFLICT (repo_key) DO UPDATE SET tags = excluded.tags, fetched_at = excluded.fetched_at
		WHERE excluded.fetched_at >= goldenpath_tmpl_tags.fetched_at`),
		repoKey(owner, repo), string(data), fetchedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("storing the shared tags of %s/%s: %w", owner, repo, err)
	}
	return nil
}

func archiveKey(owner, repo, sha string) string {
	return repoKey(owner, repo) + "@" + strings.ToLower(sha)
}

// Archive returns the files of owner/repo at commit sha, if stored.
func (c *DBCache) Archive(ctx context.Context, owner, repo, sha string) (map[string]github.File, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if err := c.init(ctx); err != nil {
		return nil, false, err
	}
	var data []byte
	err := c.db.Read.QueryRowContext(ctx, c.db.Rebind(`SELECT data FROM goldenpath_tmpl_archive WHERE archive_key = ?`), archiveKey(owner, repo, sha)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the shared archive of %s/%s at %s: %w", owner, repo, sha, err)
	}
	files, err := decode(data)
	if err != nil {
		return nil, false, fmt.Errorf("decoding the shared archive of %s/%s at %s: %w", owner, repo, sha, err)
	}
	return files, true, nil
}

// PutArchive stores the files of owner/repo at commit sha (a full commit
// SHA: the entry is trusted forever). Files above MaxArchive are refused
// with ErrTooLarge. Storing an archive twice keeps the first.
func (c *DBCache) PutArchive(ctx context.Context, owner, repo, sha string, files map[string]github.File) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if err := c.init(ctx); err != nil {
		return err
	}
	data, size, err := encode(files)
	if err != nil {
		return fmt.Errorf("encoding the archive of %s/%s at %s: %w", owner, repo, sha, err)
	}
	_, err = c.db.SQL.ExecContext(ctx, c.db.Rebind(`
		INSERT INTO goldenpath_tmpl_archive (archive_key, data, size, stored_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (archive_key) DO NOTHING`),
		archiveKey(owner, repo, sha), data, size, c.now().UnixMicro())
	if err != nil {
		return fmt.Errorf("storing the shared archive of %s/%s at %s: %w", owner, repo, sha, err)
	}
	return nil
}

// encode writes files as a gzipped tar, in path order so equal file sets
// encode equally. Modes keep what github.File means: a symbolic link, an
// executable or a regular file.
func encode(files map[string]github.File) ([]byte, int64, error) {
	var size int64
	for _, f := range files {
		size += int64(len(f.Data))
	}
	if size > MaxArchive {
		return nil, size, fmt.Errorf("%d bytes of files: %w", size, ErrTooLarge)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, p := range paths {
		f := files[p]
		hdr := &tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.Data))}
		switch {
		case f.Mode&fs.ModeSymlink != 0:
			hdr = &tar.Header{Name: p, Typeflag: tar.TypeSymlink, Mode: 0o777, Linkname: string(f.Data)}
		case f.Mode&0o111 != 0:
			hdr.Mode = 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, 0, err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), size, nil
}

func decode(data []byte) (map[string]github.File, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return github.ReadTar(zr, MaxArchive, cleanName)
}

// cleanName keeps every entry of an archive the bot wrote or git made,
// under its cleaned path.
func cleanName(name string) (string, bool, error) {
	return path.Clean(strings.TrimSuffix(name, "/")), true, nil
}
