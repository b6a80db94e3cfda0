package fleet

import (
	"context"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// Ownership is who a repository's answers say owns it (SPEC §7), and the
// answers themselves for the drift scan.
type Ownership struct {
	// Team is the owner answer: a team's slug.
	Team string
	// TeamID follows the team through renames: 0 not looked up yet, NoTeam
	// when the organisation has no such team (deleted, or never was).
	TeamID            int64
	System, Lifecycle string
	// Answers are the answers of .goldenpath.yml as JSON.
	Answers string
}

// NoTeam is the TeamID of an owner that is no team of the organisation.
const NoTeam int64 = -1

// HasTeam reports whether the owner is a team known to exist.
func (o Ownership) HasTeam() bool { return o.Team != "" && o.TeamID > 0 }

const ownershipColumns = `owner_team, owner_team_id, system, lifecycle, answers`

// migrateOwnership adds the ownership columns to a fleet table made before
// they existed.
func migrateOwnership(ctx context.Context, db *store.DB) error {
	for _, c := range []struct{ name, def string }{
		{"owner_team", "TEXT NOT NULL DEFAULT ''"},
		{"owner_team_id", "BIGINT NOT NULL DEFAULT 0"},
		{"system", "TEXT NOT NULL DEFAULT ''"},
		{"lifecycle", "TEXT NOT NULL DEFAULT ''"},
		{"answers", "TEXT NOT NULL DEFAULT ''"},
	} {
		if err := addColumn(ctx, db, "goldenpath_fleet_repo", c.name, c.def); err != nil {
			return err
		}
	}
	_, err := db.SQL.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS goldenpath_fleet_repo_team ON goldenpath_fleet_repo (owner_key, owner_team_id)`)
	return err
}

// SetOwnership records r with its Ownership: a repository the index lacks
// is added as r says; one it has keeps its other fields and takes r's
// ownership.
func (x *Index) SetOwnership(ctx context.Context, r Repo) error {
	if r.Owner == "" || r.Name == "" || r.Template == "" {
		return fmt.Errorf("recording the owner of %s/%s: owner, name and template are required", r.Owner, r.Name)
	}
	o := r.Ownership
	_, err := x.db.SQL.ExecContext(ctx, x.db.Rebind(`
		INSERT INTO goldenpath_fleet_repo (owner_key, name_key, owner, name, installation_id, template, version, default_branch, request, updated_at,
			`+ownershipColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (owner_key, name_key) DO UPDATE SET
			owner_team = excluded.owner_team, owner_team_id = excluded.owner_team_id, system = excluded.system,
			lifecycle = excluded.lifecycle, answers = excluded.answers`),
		key(r.Owner), key(r.Name), r.Owner, r.Name, r.InstallationID, r.Template, r.Version, r.DefaultBranch, r.Request, micros(x.now()),
		o.Team, o.TeamID, o.System, o.Lifecycle, o.Answers)
	if err != nil {
		return fmt.Errorf("recording the owner of %s/%s in the fleet index: %w", r.Owner, r.Name, err)
	}
	return nil
}

// OwnedBy lists the repositories of account owner whose owner team is
// teamID, or, not yet followed by id, whose owner answer is slug.
func (x *Index) OwnedBy(ctx context.Context, owner string, teamID int64, slug string) ([]Repo, error) {
	return x.list(ctx, `WHERE owner_key = ? AND (owner_team_id = ? OR (owner_team_id <= 0 AND owner_team = ?))`, key(owner), teamID, slug)
}

// TeamGone marks every repository of account owner owned by team teamID as
// without an existing owner team.
func (x *Index) TeamGone(ctx context.Context, owner string, teamID int64) error {
	_, err := x.db.SQL.ExecContext(ctx, x.db.Rebind(`UPDATE goldenpath_fleet_repo SET owner_team_id = ? WHERE owner_key = ? AND owner_team_id = ?`),
		NoTeam, key(owner), teamID)
	if err != nil {
		return fmt.Errorf("marking team %d of %s gone in the fleet index: %w", teamID, owner, err)
	}
	return nil
}
