// Package store opens the one database goldenpath keeps its state in (the job
// queue and the fleet index) from a DATABASE_URL: embedded SQLite by default,
// PostgreSQL to run several replicas. Both the queue and the fleet index share
// the handle this package returns, so SQLite has a single writing
// connection, which is what River's SQLite driver asks for (and a few
// read-only ones beside it, DB.Read).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Dialect names the SQL flavour behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. SQL is always set; Pool is set for PostgreSQL only
// (River's pgx driver needs a pgxpool, and SQL is a database/sql view of the
// same pool).
type DB struct {
	Dialect Dialect
	SQL     *sql.DB
	// Read serves reads that need no transaction with a write and may see
	// any committed state (a delivery's body, a cached archive). On SQLite
	// it is a pool of read-only connections beside SQL's single one: in WAL
	// mode they read while that connection writes, instead of queueing
	// behind the group commit and River. On PostgreSQL it is SQL.
	Read *sql.DB
	Pool *pgxpool.Pool
	// KeyLockWait bounds KeyLock's wait (DefaultKeyLockWait when zero).
	KeyLockWait time.Duration

	lockPool *pgxpool.Pool // PostgreSQL: the connections KeyLock holds
}

// Open connects to databaseURL: `sqlite://path` (relative or absolute path;
// `sqlite:///abs/path` also works), `sqlite::memory:` is refused because a
// queue in memory is not durable, and `postgres://…` / `postgresql://…`.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "sqlite://"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL)
	default:
		return nil, fmt.Errorf("DATABASE_URL must start with sqlite:// or postgres://, got %q", redact(databaseURL))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return nil, errors.New("DATABASE_URL names no SQLite file (use sqlite://goldenpath.db)")
	}
	// WAL lets readers run beside the writer; busy_timeout makes a second
	// process (a CLI next to `serve`) wait instead of failing; immediate
	// transactions take the write lock up front so they never deadlock on an
	// upgrade from read to write.
	// synchronous=NORMAL: see BeginDurable for which commits are fsynced.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db := openCachingSQLite(dsn)
	// SQLite runs one writer at a time; River's SQLite driver recommends one
	// connection so its parallel maintenance work queues in database/sql
	// instead of failing with SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	// Opened after SQL, which has made the file a WAL database; query_only
	// makes any write on these a clear error rather than a second writer.
	// Their reads (a delivery's body, read once) gain little from a page
	// cache of their own: a small one keeps their memory small.
	read := openCachingSQLite("file:" + path + fmt.Sprintf("?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=cache_size(-%d)", readCacheKiB))
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	read.SetConnMaxIdleTime(time.Minute)
	return &DB{Dialect: SQLite, SQL: db, Read: read}, nil
}

// readConns is the SQLite read pool's size (see DB.Read), readCacheKiB
// each one's page cache (SQLite's default is 2,000 KiB).
const (
	readConns    = 2
	readCacheKiB = 256
)

// defaultPoolSize is the PostgreSQL connection pool of one replica.
const defaultPoolSize = 20

func openPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL DATABASE_URL %s: %w", redact(databaseURL), err)
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgx's default (the larger of 4 and the CPU count) starves River on a
		// small machine: its notifier holds a connection for LISTEN, the
		// leader's maintenance services (which promote scheduled jobs) and
		// up to 32 workers' fleet and cache queries share the rest.
		// pool_max_conns in DATABASE_URL overrides this.
		cfg.MaxConns = defaultPoolSize
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(pctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL %s: %w", redact(databaseURL), err)
	}
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL %s: %w", redact(databaseURL), err)
	}
	lcfg := cfg.Copy()
	lcfg.MaxConns, lcfg.MinConns = lockPoolSize, 0
	// A burst of jobs may open many; they should not stay open after it.
	lcfg.MaxConnIdleTime = time.Minute
	locks, err := pgxpool.NewWithConfig(pctx, lcfg) // connects on first use
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("setting up the key lock connections to PostgreSQL %s: %w", redact(databaseURL), err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	return &DB{Dialect: Postgres, SQL: sqlDB, Read: sqlDB, Pool: pool, lockPool: locks}, nil
}

// Ping checks that the database answers; /readyz calls it.
func (d *DB) Ping(ctx context.Context) error {
	return d.SQL.PingContext(ctx)
}

// Close releases the database. Stop the queue first.
func (d *DB) Close() error {
	var err error
	if d.Read != nil && d.Read != d.SQL {
		err = d.Read.Close()
	}
	err = errors.Join(err, d.SQL.Close())
	if d.Pool != nil {
		d.Pool.Close()
	}
	if d.lockPool != nil {
		d.lockPool.Close()
	}
	return err
}

// migrationLockKey is an arbitrary constant: the advisory lock every replica
// takes while it migrates, so two replicas starting at once do not race on
// CREATE TABLE.
const migrationLockKey = 0x676f6c64 // "gold"

// WithMigrationLock runs fn while holding a database-wide lock on PostgreSQL
// (an advisory lock). On SQLite the single connection already serialises.
func (d *DB) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.Dialect != Postgres {
		return fn(ctx)
	}
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquiring a connection for the migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released even if ctx ended.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	return fn(ctx)
}

// Rebind turns `?` placeholders into `$1, $2, …` for PostgreSQL so callers
// can write one query for both dialects. Queries must not contain a literal
// question mark.
func (d *DB) Rebind(query string) string {
	if d.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// redact hides a password in a database URL so errors can be logged.
func redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
