package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SetUpgradePR records the upgrade pull request of a repository for a
// template (one row per repository and template; UpdatedAt is set to now,
// OpenedAt kept when pr.OpenedAt is zero). A non-zero OpenedAt also appends
// an opening to the owner's history that prHourlyLimit counts (once per
// pull request and time, so recording the same opening again adds nothing).
func (x *Index) SetUpgradePR(ctx context.Context, pr UpgradePR) error {
	if pr.Owner == "" || pr.Name == "" || pr.Template == "" {
		return fmt.Errorf("recording the upgrade PR of %s/%s: owner, name and template are required", pr.Owner, pr.Name)
	}
	tx, err := x.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording the upgrade PR of %s/%s: %w", pr.Owner, pr.Name, err)
	}
	defer tx.Rollback()
	if err := x.setUpgradePR(ctx, tx, pr); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording the upgrade PR of %s/%s: %w", pr.Owner, pr.Name, err)
	}
	return nil
}

// setUpgradePR is SetUpgradePR inside the caller's transaction.
func (x *Index) setUpgradePR(ctx context.Context, tx *sql.Tx, pr UpgradePR) error {
	var opened int64
	if !pr.OpenedAt.IsZero() {
		opened = micros(pr.OpenedAt)
	}
	_, err := tx.ExecContext(ctx, x.db.Rebind(`
		INSERT INTO goldenpath_upgrade_pr (owner_key, name_key, template, owner, name, target_version, number, state, conflicts, last_error, opened_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (owner_key, name_key, template) DO UPDATE SET
			owner = excluded.owner, name = excluded.name, target_version = excluded.target_version,
			number = excluded.number, state = excluded.state, conflicts = excluded.conflicts,
			last_error = excluded.last_error, updated_at = excluded.updated_at,
			opened_at = CASE WHEN excluded.opened_at <> 0 THEN excluded.opened_at ELSE goldenpath_upgrade_pr.opened_at END`),
		key(pr.Owner), key(pr.Name), pr.Template, pr.Owner, pr.Name, pr.TargetVersion, pr.Number, pr.State, pr.Conflicts, pr.LastError, opened, micros(x.now()))
	if err != nil {
		return fmt.Errorf("recording the upgrade PR of %s/%s: %w", pr.Owner, pr.Name, err)
	}
	if opened == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, x.db.Rebind(`
		INSERT INTO goldenpath_pr_opening (id, owner_key, name_key, template, version, kind, opened_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (id) DO NOTHING`),
		openingID(pr.Owner, pr.Name, pr.Template, opened), key(pr.Owner), key(pr.Name), pr.Template, pr.TargetVersion, kindOpened, opened)
	if err != nil {
		return fmt.Errorf("recording the opening of the upgrade PR of %s/%s: %w", pr.Owner, pr.Name, err)
	}
	return nil
}

const prColumns = `owner, name, template, target_version, number, state, conflicts, last_error, opened_at, updated_at`

func scanPR(s interface{ Scan(...any) error }) (UpgradePR, error) {
	var pr UpgradePR
	var opened, us int64
	err := s.Scan(&pr.Owner, &pr.Name, &pr.Template, &pr.TargetVersion, &pr.Number, &pr.State, &pr.Conflicts, &pr.LastError, &opened, &us)
	if opened != 0 {
		pr.OpenedAt = fromMicros(opened)
	}
	pr.UpdatedAt = fromMicros(us)
	return pr, err
}

// UpgradePR returns the recorded upgrade PR of a repository for a template,
// or ErrNotFound.
func (x *Index) UpgradePR(ctx context.Context, owner, name, template string) (UpgradePR, error) {
	row := x.db.SQL.QueryRowContext(ctx, x.db.Rebind(`SELECT `+prColumns+` FROM goldenpath_upgrade_pr WHERE owner_key = ? AND name_key = ? AND template = ?`), key(owner), key(name), template)
	pr, err := scanPR(row)
	if errors.Is(err, sql.ErrNoRows) {
		return UpgradePR{}, fmt.Errorf("looking up the upgrade PR of %s/%s: %w", owner, name, ErrNotFound)
	}
	if err != nil {
		return UpgradePR{}, fmt.Errorf("looking up the upgrade PR of %s/%s: %w", owner, name, err)
	}
	return pr, nil
}

// UpgradePRs lists the upgrade PRs recorded for a template (the dashboard).
func (x *Index) UpgradePRs(ctx context.Context, template string) ([]UpgradePR, error) {
	rows, err := x.db.SQL.QueryContext(ctx, x.db.Rebind(`SELECT `+prColumns+` FROM goldenpath_upgrade_pr WHERE template = ? ORDER BY owner_key, name_key`), template)
	if err != nil {
		return nil, fmt.Errorf("listing upgrade PRs of %s: %w", template, err)
	}
	defer rows.Close()
	var out []UpgradePR
	for rows.Next() {
		pr, err := scanPR(rows)
		if err != nil {
			return nil, fmt.Errorf("listing upgrade PRs of %s: %w", template, err)
		}
		out = append(out, pr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing upgrade PRs of %s: %w", template, err)
	}
	return out, nil
}

// CountUpgradePRs counts one owner's (account's) upgrade PRs in a state,
// e.g. open ones for prConcurrentLimit, which goldenpath.yaml sets per
// account.
func (x *Index) CountUpgradePRs(ctx context.Context, owner, state string) (int, error) {
	var n int
	err := x.db.SQL.QueryRowContext(ctx, x.db.Rebind(`SELECT COUNT(*) FROM goldenpath_upgrade_pr WHERE owner_key = ? AND state = ?`), key(owner), state).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting %s upgrade PRs of %s: %w", state, owner, err)
	}
	return n, nil
}

// UpgradePRsOpenedSince returns when the upgrade PRs of owner opened at or
// after since were opened, oldest first, from the history of openings (so a
// repository whose pull request was closed and a new one opened counts
// twice). Reservations not yet confirmed are not included.
func (x *Index) UpgradePRsOpenedSince(ctx context.Context, owner string, since time.Time) ([]time.Time, error) {
	wrap := func(err error) error {
		return fmt.Errorf("listing upgrade PRs of %s opened since %s: %w", owner, since.UTC().Format(time.RFC3339), err)
	}
	rows, err := x.db.SQL.QueryContext(ctx, x.db.Rebind(`SELECT opened_at FROM goldenpath_pr_opening WHERE owner_key = ? AND kind = ? AND opened_at >= ? ORDER BY opened_at`),
		key(owner), kindOpened, micros(since))
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return nil, wrap(err)
		}
		out = append(out, fromMicros(us))
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// ETag returns the ETag and the response body cached under key (for a
// conditional GET: a 304 answer means body is still current). An unknown
// key gives "" and nil.
func (x *Index) ETag(ctx context.Context, cacheKey string) (etag string, body []byte, err error) {
	err = x.db.SQL.QueryRowContext(ctx, x.db.Rebind(`SELECT etag, body FROM goldenpath_etag WHERE cache_key = ?`), cacheKey).Scan(&etag, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading the cached ETag of %s: %w", cacheKey, err)
	}
	return etag, body, nil
}

// SetETag caches the ETag and body of a response under key.
func (x *Index) SetETag(ctx context.Context, cacheKey, etag string, body []byte) error {
	_, err := x.db.SQL.ExecContext(ctx, x.db.Rebind(`
		INSERT INTO goldenpath_etag (cache_key, etag, body, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (cache_key) DO UPDATE SET etag = excluded.etag, body = excluded.body, updated_at = excluded.updated_at`),
		cacheKey, etag, body, micros(x.now()))
	if err != nil {
		return fmt.Errorf("caching the ETag of %s: %w", cacheKey, err)
	}
	return nil
}
