package adoption

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// Row states. A row is final in every state but Queued: the issue is
// closed once all its rows are final.
const (
	Queued  = "queued"  // a job will adopt it
	Open    = "open"    // its adoption pull request is open (PR)
	Merged  = "merged"  // its adoption pull request was merged: in the fleet
	Closed  = "closed"  // its pull request was closed unmerged: not reopened
	Blocked = "blocked" // a person pushed to the branch: never force-pushed
	Skipped = "skipped" // no pull request; Reason says why
	Failed  = "failed"  // answers incomplete or invalid, or the template broken; Reason says why
)

// Row is one repository of one adoption request: what became of it.
type Row struct {
	// The request: the templates repository's issue, in Org.
	InstallationID int64
	Org            string
	TemplatesRepo  string
	Issue          int
	IssueURL       string
	Template       string

	Repo string
	// Position keeps the comment's rows in the order the request gave.
	Position      int
	DefaultBranch string
	Description   string
	// Given are the answers the issue gave for every repository (JSON).
	Given   string
	State   string
	Version string // the version proposed (Open, Merged, Closed, Blocked)
	PR      int
	Reason  string
}

// Final reports whether the row needs no more work for its request.
func (r Row) Final() bool { return r.State != Queued }

func issueKey(org, repo string, n int) string {
	return strings.ToLower(fmt.Sprintf("%s/%s#%d", org, repo, n))
}

// Store keeps the adoption rows in the process's database, beside the
// queue and the fleet index (SQLite or PostgreSQL).
type Store struct {
	db *store.DB
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS goldenpath_adoption (
		issue_key TEXT NOT NULL,
		repo_key TEXT NOT NULL,
		owner_key TEXT NOT NULL,
		installation_id BIGINT NOT NULL,
		org TEXT NOT NULL,
		templates_repo TEXT NOT NULL,
		issue INTEGER NOT NULL,
		issue_url TEXT NOT NULL,
		template TEXT NOT NULL,
		repo TEXT NOT NULL,
		position INTEGER NOT NULL,
		default_branch TEXT NOT NULL,
		description TEXT NOT NULL,
		given TEXT NOT NULL,
		state TEXT NOT NULL,
		version TEXT NOT NULL,
		pr INTEGER NOT NULL,
		reason TEXT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (issue_key, repo_key)
	)`,
	`CREATE INDEX IF NOT EXISTS goldenpath_adoption_open ON goldenpath_adoption (owner_key, template, state)`,
}

// OpenStore creates the table if needed, under the store's migration lock.
func OpenStore(ctx context.Context, db *store.DB) (*Store, error) {
	err := db.WithMigrationLock(ctx, func(ctx context.Context) error {
		for _, stmt := range schema {
			if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("creating the adoption table: %w", err)
	}
	return &Store{db: db}, nil
}

const columns = `installation_id, org, templates_repo, issue, issue_url, template, repo, position, default_branch, description, given, state, version, pr, reason`

// Insert adds rows a request has not recorded yet; rows already there (a
// redelivered request) are left as they are.
func (s *Store) Insert(ctx context.Context, rows []Row) error {
	tx, err := s.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording adoption rows: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	q := s.db.Rebind(`INSERT INTO goldenpath_adoption (issue_key, repo_key, owner_key, updated_at, ` + columns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issue_key, repo_key) DO NOTHING`)
	now := time.Now().UnixMicro()
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, q, issueKey(r.Org, r.TemplatesRepo, r.Issue), strings.ToLower(r.Repo), strings.ToLower(r.Org), now,
			r.InstallationID, r.Org, r.TemplatesRepo, r.Issue, r.IssueURL, r.Template, r.Repo, r.Position, r.DefaultBranch, r.Description, r.Given,
			r.State, r.Version, r.PR, r.Reason); err != nil {
			return fmt.Errorf("recording the adoption row of %s: %w", r.Repo, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording adoption rows: %w", err)
	}
	return nil
}

// Set records a row's outcome (state, version, pull request, reason).
func (s *Store) Set(ctx context.Context, r Row) error {
	_, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`UPDATE goldenpath_adoption SET state = ?, version = ?, pr = ?, reason = ?, updated_at = ?
		WHERE issue_key = ? AND repo_key = ?`), r.State, r.Version, r.PR, r.Reason, time.Now().UnixMicro(),
		issueKey(r.Org, r.TemplatesRepo, r.Issue), strings.ToLower(r.Repo))
	if err != nil {
		return fmt.Errorf("recording the adoption of %s/%s: %w", r.Org, r.Repo, err)
	}
	return nil
}

// ErrNoRow is returned by Get for a repository the request does not list.
var ErrNoRow = errors.New("no such adoption row")

// Get returns one row of a request.
func (s *Store) Get(ctx context.Context, org, templatesRepo string, issue int, repo string) (Row, error) {
	rows, err := s.list(ctx, `issue_key = ? AND repo_key = ?`, issueKey(org, templatesRepo, issue), strings.ToLower(repo))
	if err != nil {
		return Row{}, err
	}
	if len(rows) == 0 {
		return Row{}, ErrNoRow
	}
	return rows[0], nil
}

// Rows returns every row of a request, in the request's order.
func (s *Store) Rows(ctx context.Context, org, templatesRepo string, issue int) ([]Row, error) {
	return s.list(ctx, `issue_key = ?`, issueKey(org, templatesRepo, issue))
}

// OpenRows returns the rows of org whose adoption pull request for template
// is open: a newer version moves them.
func (s *Store) OpenRows(ctx context.Context, org, template string) ([]Row, error) {
	return s.list(ctx, `owner_key = ? AND template = ? AND state = ?`, strings.ToLower(org), template, Open)
}

// OpenRowsOf returns the rows whose adoption pull request in org/repo is
// open as far as the rows know.
func (s *Store) OpenRowsOf(ctx context.Context, org, repo string) ([]Row, error) {
	return s.list(ctx, `owner_key = ? AND repo_key = ? AND state = ?`, strings.ToLower(org), strings.ToLower(repo), Open)
}

// OwnerRows returns every row of org's adoption requests.
func (s *Store) OwnerRows(ctx context.Context, org string) ([]Row, error) {
	return s.list(ctx, `owner_key = ?`, strings.ToLower(org))
}

func (s *Store) list(ctx context.Context, where string, args ...any) ([]Row, error) {
	rs, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(`SELECT `+columns+` FROM goldenpath_adoption WHERE `+where+` ORDER BY issue_key, position, repo_key`), args...)
	if err != nil {
		return nil, fmt.Errorf("reading adoption rows: %w", err)
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var r Row
		if err := rs.Scan(&r.InstallationID, &r.Org, &r.TemplatesRepo, &r.Issue, &r.IssueURL, &r.Template, &r.Repo, &r.Position,
			&r.DefaultBranch, &r.Description, &r.Given, &r.State, &r.Version, &r.PR, &r.Reason); err != nil {
			return nil, fmt.Errorf("reading adoption rows: %w", err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading adoption rows: %w", err)
	}
	return out, nil
}
