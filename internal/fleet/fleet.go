// Package fleet is the fleet index: which repository came from which
// template, at which version, plus the state of each repository's upgrade
// pull request and the ETags of conditional GitHub reads. It lives in the
// same database as the job queue (SQLite or PostgreSQL, through database/sql
// from the store package) in its own goldenpath_* tables.
//
// The index is a cache of what the repositories' .goldenpath.yml files say;
// it is rebuilt by the periodic reconcile, so losing it loses nothing.
package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// ErrNotFound is returned when the index holds no such repository or PR.
var ErrNotFound = errors.New("not in the fleet index")

// Repo is one repository made from (or adopted by) a template.
type Repo struct {
	InstallationID int64
	Owner, Name    string
	Template       string
	Version        string
	DefaultBranch  string
	Request        string // URL of the issue that asked for it; "" when adopted
	UpdatedAt      time.Time
	// Ownership is kept by SetOwnership; Upsert leaves it as it is.
	Ownership Ownership
}

// UpgradePR states.
const (
	PROpen    = "open"
	PRClosed  = "closed" // closed unmerged: not reopened for TargetVersion
	PRMerged  = "merged"
	PRBlocked = "blocked" // someone else pushed to the branch
)

// UpgradePR is the upgrade pull request of one repository for one template.
type UpgradePR struct {
	Owner, Name   string
	Template      string
	TargetVersion string
	Number        int
	State         string
	Conflicts     int
	LastError     string
	// OpenedAt is when the bot opened pull request Number; prHourlyLimit
	// counts these per owner across replicas. Zero in SetUpgradePR keeps the
	// recorded time (an update of the same pull request).
	OpenedAt  time.Time
	UpdatedAt time.Time
}

// Index is the fleet index.
type Index struct {
	db  *store.DB
	now func() time.Time
}

// schema is idempotent DDL valid on SQLite and PostgreSQL. Names are keyed
// in lower case because GitHub's are case-insensitive; the display case is
// kept beside. Times are Unix microseconds, one representation for both.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS goldenpath_fleet_repo (
		owner_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		owner TEXT NOT NULL,
		name TEXT NOT NULL,
		installation_id BIGINT NOT NULL,
		template TEXT NOT NULL,
		version TEXT NOT NULL,
		default_branch TEXT NOT NULL,
		request TEXT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (owner_key, name_key)
	)`,
	`CREATE INDEX IF NOT EXISTS goldenpath_fleet_repo_template ON goldenpath_fleet_repo (template)`,
	`CREATE TABLE IF NOT EXISTS goldenpath_upgrade_pr (
		owner_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		template TEXT NOT NULL,
		owner TEXT NOT NULL,
		name TEXT NOT NULL,
		target_version TEXT NOT NULL,
		number INTEGER NOT NULL,
		state TEXT NOT NULL,
		conflicts INTEGER NOT NULL,
		last_error TEXT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (owner_key, name_key, template)
	)`,
	// One row per upgrade pull request the bot opened (kind "opened", kept
	// for a day for prHourlyLimit) or is about to open (kind "reserved":
	// a slot taken under the limits before the create call, confirmed or
	// released after it, free again at expires_at if neither happened).
	`CREATE TABLE IF NOT EXISTS goldenpath_pr_opening (
		id TEXT PRIMARY KEY,
		owner_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		template TEXT NOT NULL,
		version TEXT NOT NULL,
		kind TEXT NOT NULL,
		opened_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS goldenpath_pr_opening_owner ON goldenpath_pr_opening (owner_key, kind, opened_at)`,
	`CREATE TABLE IF NOT EXISTS goldenpath_etag (
		cache_key TEXT PRIMARY KEY,
		etag TEXT NOT NULL,
		body BYTEA,
		updated_at BIGINT NOT NULL
	)`,
}

// Open creates the index's tables if needed (under the store's migration
// lock) and returns the index.
func Open(ctx context.Context, db *store.DB) (*Index, error) {
	err := db.WithMigrationLock(ctx, func(ctx context.Context) error {
		for _, stmt := range schema {
			if db.Dialect == store.SQLite {
				stmt = strings.ReplaceAll(stmt, "BYTEA", "BLOB")
			}
			if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return migrate(ctx, db)
	})
	if err != nil {
		return nil, fmt.Errorf("creating the fleet index tables: %w", err)
	}
	return &Index{db: db, now: time.Now}, nil
}

// migrate brings tables made by earlier versions up to date. Each step is
// idempotent: every replica runs it at start.
func migrate(ctx context.Context, db *store.DB) error {
	// opened_at (Unix microseconds, 0 = unknown): when the bot opened the
	// pull request, for prHourlyLimit across replicas.
	if err := addColumn(ctx, db, "goldenpath_upgrade_pr", "opened_at", "BIGINT NOT NULL DEFAULT 0"); err != nil {
		return err
	}
	if err := migrateOwnership(ctx, db); err != nil {
		return err
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS goldenpath_upgrade_pr_opened ON goldenpath_upgrade_pr (owner_key, opened_at)`); err != nil {
		return err
	}
	// goldenpath_pr_opening came after opened_at: the openings recorded
	// there before (the latest per repository) join the history so that an
	// upgrade does not reset prHourlyLimit. The id is the one SetUpgradePR
	// gives an opening, so running this again adds nothing.
	_, err := db.SQL.ExecContext(ctx, db.Rebind(`
		INSERT INTO goldenpath_pr_opening (id, owner_key, name_key, template, version, kind, opened_at, expires_at)
		SELECT owner_key || '/' || name_key || '/' || template || '@' || CAST(opened_at AS TEXT),
			owner_key, name_key, template, target_version, ?, opened_at, 0
		FROM goldenpath_upgrade_pr WHERE opened_at >= ? AND opened_at <> 0
		ON CONFLICT (id) DO NOTHING`), kindOpened, micros(time.Now().Add(-openingRetention)))
	if err != nil {
		return fmt.Errorf("copying upgrade PR openings into goldenpath_pr_opening: %w", err)
	}
	return nil
}

// addColumn adds a column unless the table has it. PostgreSQL says so in
// the statement; SQLite has no ADD COLUMN IF NOT EXISTS, so its table_info
// is asked first (and a replica that added it meanwhile is not an error).
func addColumn(ctx context.Context, db *store.DB, table, column, def string) error {
	if db.Dialect == store.Postgres {
		if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN IF NOT EXISTS `+column+` `+def); err != nil {
			return fmt.Errorf("adding %s.%s: %w", table, column, err)
		}
		return nil
	}
	has := func() (bool, error) {
		var n int
		err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n)
		return n > 0, err
	}
	ok, err := has()
	if err != nil {
		return fmt.Errorf("looking for %s.%s: %w", table, column, err)
	}
	if ok {
		return nil
	}
	if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+column+` `+def); err != nil {
		if ok, herr := has(); herr == nil && ok {
			return nil
		}
		return fmt.Errorf("adding %s.%s: %w", table, column, err)
	}
	return nil
}

func key(s string) string { return strings.ToLower(s) }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Upsert records a repository (UpdatedAt is set to now).
func (x *Index) Upsert(ctx context.Context, r Repo) error {
	if r.Owner == "" || r.Name == "" || r.Template == "" {
		return fmt.Errorf("recording %s/%s in the fleet index: owner, name and template are required", r.Owner, r.Name)
	}
	_, err := x.db.SQL.ExecContext(ctx, x.db.Rebind(`
		INSERT INTO goldenpath_fleet_repo (owner_key, name_key, owner, name, installation_id, template, version, default_branch, request, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (owner_key, name_key) DO UPDATE SET
			owner = excluded.owner, name = excluded.name, installation_id = excluded.installation_id,
			template = excluded.template, version = excluded.version, default_branch = excluded.default_branch,
			request = excluded.request, updated_at = excluded.updated_at`),
		key(r.Owner), key(r.Name), r.Owner, r.Name, r.InstallationID, r.Template, r.Version, r.DefaultBranch, r.Request, micros(x.now()))
	if err != nil {
		return fmt.Errorf("recording %s/%s in the fleet index: %w", r.Owner, r.Name, err)
	}
	return nil
}

const repoColumns = `owner, name, installation_id, template, version, default_branch, request, updated_at, ` + ownershipColumns

func scanRepo(s interface{ Scan(...any) error }) (Repo, error) {
	var r Repo
	var us int64
	o := &r.Ownership
	err := s.Scan(&r.Owner, &r.Name, &r.InstallationID, &r.Template, &r.Version, &r.DefaultBranch, &r.Request, &us,
		&o.Team, &o.TeamID, &o.System, &o.Lifecycle, &o.Answers)
	r.UpdatedAt = fromMicros(us)
	return r, err
}

// Get returns one repository, or ErrNotFound.
func (x *Index) Get(ctx context.Context, owner, name string) (Repo, error) {
	row := x.db.SQL.QueryRowContext(ctx, x.db.Rebind(`SELECT `+repoColumns+` FROM goldenpath_fleet_repo WHERE owner_key = ? AND name_key = ?`), key(owner), key(name))
	r, err := scanRepo(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Repo{}, fmt.Errorf("looking up %s/%s: %w", owner, name, ErrNotFound)
	}
	if err != nil {
		return Repo{}, fmt.Errorf("looking up %s/%s in the fleet index: %w", owner, name, err)
	}
	return r, nil
}

// ListByTemplate returns the repositories made from a template, by owner
// and name.
func (x *Index) ListByTemplate(ctx context.Context, template string) ([]Repo, error) {
	return x.list(ctx, `WHERE template = ?`, template)
}

// List returns the whole fleet, by template, owner and name.
func (x *Index) List(ctx context.Context) ([]Repo, error) {
	return x.list(ctx, ``)
}

func (x *Index) list(ctx context.Context, where string, args ...any) ([]Repo, error) {
	rows, err := x.db.SQL.QueryContext(ctx, x.db.Rebind(`SELECT `+repoColumns+` FROM goldenpath_fleet_repo `+where+` ORDER BY template, owner_key, name_key`), args...)
	if err != nil {
		return nil, fmt.Errorf("listing the fleet: %w", err)
	}
	defer rows.Close()
	var out []Repo
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, fmt.Errorf("listing the fleet: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the fleet: %w", err)
	}
	return out, nil
}

// DeleteIfRecordedBefore forgets a repository, as Delete does, only if its
// record is older than before; it reports whether it did. A reconcile that
// finds a repository missing from its listing of GitHub uses it: a
// repository recorded after the listing began (created by a request
// meanwhile) is not missing, only newer than the listing.
func (x *Index) DeleteIfRecordedBefore(ctx context.Context, owner, name string, before time.Time) (bool, error) {
	tx, err := x.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, x.db.Rebind(`DELETE FROM goldenpath_fleet_repo WHERE owner_key = ? AND name_key = ? AND updated_at < ?`),
		key(owner), key(name), micros(before))
	if err != nil {
		return false, fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, x.db.Rebind(`DELETE FROM goldenpath_upgrade_pr WHERE owner_key = ? AND name_key = ?`), key(owner), key(name)); err != nil {
		return false, fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
	}
	return true, nil
}

// Delete forgets a repository (deleted, transferred, or no longer carrying
// .goldenpath.yml) and its upgrade PR records. Deleting an unknown
// repository is not an error.
func (x *Index) Delete(ctx context.Context, owner, name string) error {
	tx, err := x.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
	}
	defer tx.Rollback()
	for _, table := range []string{"goldenpath_fleet_repo", "goldenpath_upgrade_pr"} {
		if _, err := tx.ExecContext(ctx, x.db.Rebind(`DELETE FROM `+table+` WHERE owner_key = ? AND name_key = ?`), key(owner), key(name)); err != nil {
			return fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("removing %s/%s from the fleet index: %w", owner, name, err)
	}
	return nil
}
