package ownership

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

type teamPayload struct {
	ghevent.Envelope
	Changes struct {
		Name *struct {
			From string `json:"from"`
		} `json:"name"`
	} `json:"changes"`
	Team struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Slug string `json:"slug"`
	} `json:"team"`
	Organization struct {
		Login string `json:"login"`
	} `json:"organization"`
}

// handleTeam follows owner teams: renamed → a pull request per repository
// it owns with owner set to the new slug; deleted → its repositories are
// without an owner team on the dashboard; created → repositories that named
// its slug have an owner team again.
func (w *Workflow) handleTeam(ctx context.Context, inst int64, p teamPayload) error {
	org, t := p.Organization.Login, p.Team
	if org == "" || t.ID == 0 || t.Slug == "" {
		return nil
	}
	slug := t.Slug
	if p.Action == "edited" {
		if p.Changes.Name == nil {
			return nil // privacy, description…: the slug is the same
		}
		slug = slugOf(p.Changes.Name.From)
	}
	if err := w.backfill(ctx, inst, org); err != nil {
		return err
	}
	repos, err := w.cfg.Fleet.OwnedBy(ctx, org, t.ID, slug)
	if err != nil {
		return err
	}
	log := w.cfg.Logger.With(slog.String("org", org), slog.String("team", t.Slug), slog.String("action", p.Action))
	switch p.Action {
	case "deleted":
		if err := w.cfg.Fleet.TeamGone(ctx, org, t.ID); err != nil {
			return err
		}
		if err := w.setTeamIDs(ctx, repos, fleet.NoTeam); err != nil {
			return err
		}
	case "created":
		if err := w.setTeamIDs(ctx, repos, t.ID); err != nil {
			return err
		}
	case "edited":
		if err := w.renamed(ctx, inst, org, slug, p, repos); err != nil {
			return err
		}
		log.Info("owner team renamed", slog.Int("repositories", len(repos)))
	default:
		return nil
	}
	return w.cfg.Upgrades.EnqueueDashboard(ctx, upgrade.DashboardArgs{InstallationID: inst, Owner: org, TemplatesRepo: w.cfg.TemplatesRepo})
}

// renamed queues, for every repository the team owns under its old slug, a
// pull request setting owner to the new one.
func (w *Workflow) renamed(ctx context.Context, inst int64, org, oldSlug string, p teamPayload, repos []fleet.Repo) error {
	if len(repos) == 0 {
		return nil
	}
	gh, err := w.cfg.Client(ctx, inst)
	if err != nil {
		return err
	}
	newSlug := p.Team.Slug
	for _, r := range repos {
		if strings.EqualFold(r.Ownership.Team, newSlug) {
			continue
		}
		r.Ownership.TeamID = p.Team.ID // followed by id from now on
		if err := w.cfg.Fleet.SetOwnership(ctx, r); err != nil {
			return err
		}
		change := upgrade.AnswersChange{Set: map[string]any{"owner": newSlug},
			Reason: fmt.Sprintf("The team `%s` that owns this repository was renamed to `%s` (it was %q, now %q): `owner` follows it.",
				oldSlug, newSlug, p.Changes.Name.From, p.Team.Name)}
		cause := "team:" + strconv.FormatInt(p.Team.ID, 10) + ":" + newSlug
		if err := w.enqueue(ctx, gh, inst, r, org, w.cfg.TemplatesRepo, r.Version, cause, change); err != nil {
			return err
		}
	}
	return nil
}

// backfill reads the ownership of org's fleet repositories the index has
// none for (created before it was kept, or not scanned yet), so that a team
// event finds every repository the team owns.
func (w *Workflow) backfill(ctx context.Context, inst int64, org string) error {
	all, err := w.cfg.Fleet.List(ctx)
	if err != nil {
		return err
	}
	var gh GitHub
	for _, r := range all {
		if !strings.EqualFold(r.Owner, org) || r.Ownership.Answers != "" {
			continue
		}
		if gh == nil {
			if gh, err = w.cfg.Client(ctx, inst); err != nil {
				return err
			}
		}
		if _, _, err := w.scan.Scan(ctx, gh, r, org, w.cfg.TemplatesRepo); err != nil {
			return fmt.Errorf("reading the owner of %s/%s: %w", r.Owner, r.Name, err)
		}
	}
	return nil
}

func (w *Workflow) setTeamIDs(ctx context.Context, repos []fleet.Repo, id int64) error {
	for _, r := range repos {
		if r.Ownership.TeamID == id {
			continue
		}
		r.Ownership.TeamID = id
		if err := w.cfg.Fleet.SetOwnership(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// slugOf is the slug GitHub makes of a team name: lower case, every run of
// characters other than letters, digits and '_' turned into one '-'.
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
