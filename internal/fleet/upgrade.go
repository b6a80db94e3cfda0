package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SetUpgradePR records the upgrade pull request of a repository for a
// template (one row per repository and template; UpdatedAt is set to now).
func (x *Index) SetUpgradePR(ctx context.Context, pr UpgradePR) error {
	if pr.Owner == "" || pr.Name == "" || pr.Template == "" {
		return fmt.Errorf("recording the upgrade PR of %s/%s: owner, name and template are required", pr.Owner, pr.Name)
	}
	_, err := x.db.SQL.ExecContext(ctx, x.db.Rebind(`
		INSERT INTO goldenpath_upgrade_pr (owner_key, name_key, template, owner, name, target_version, number, state, conflicts, last_error, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (owner_key, name_key, template) DO UPDATE SET
			owner = excluded.owner, name = excluded.name, target_version = excluded.target_version,
			number = excluded.number, state = excluded.state, conflicts = excluded.conflicts,
			last_error = excluded.last_error, updated_at = excluded.updated_at`),
		key(pr.Owner), key(pr.Name), pr.Template, pr.Owner, pr.Name, pr.TargetVersion, pr.Number, pr.State, pr.Conflicts, pr.LastError, micros(x.now()))
	if err != nil {
		return fmt.Errorf("recording the upgrade PR of %s/%s: %w", pr.Owner, pr.Name, err)
	}
	return nil
}

const prColumns = `owner, name, template, target_version, number, state, conflicts, last_error, updated_at`

func scanPR(s interface{ Scan(...any) error }) (UpgradePR, error) {
	var pr UpgradePR
	var us int64
	err := s.Scan(&pr.Owner, &pr.Name, &pr.Template, &pr.TargetVersion, &pr.Number, &pr.State, &pr.Conflicts, &pr.LastError, &us)
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

// CountUpgradePRs counts PRs in a state across the fleet, e.g. open ones for
// prConcurrentLimit.
func (x *Index) CountUpgradePRs(ctx context.Context, state string) (int, error) {
	var n int
	err := x.db.SQL.QueryRowContext(ctx, x.db.Rebind(`SELECT COUNT(*) FROM goldenpath_upgrade_pr WHERE state = ?`), state).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting %s upgrade PRs: %w", state, err)
	}
	return n, nil
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
