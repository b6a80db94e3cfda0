package adoption

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// RefreshComment rewrites the issue's one bot comment from its rows (edited
// in place, found by its hidden marker, and only when its text changed), and
// once every row is final labels the issue and closes it as completed.
// Requests: the comment's read and at most one write; once every row is
// final, the issue's read and what of the label and close it still lacks:
// a later refresh (a pull request merged) re-sends neither.
func (w *Workflow) RefreshComment(ctx context.Context, a CommentArgs) error {
	unlock, err := w.cfg.Locks.Lock(ctx, strings.ToLower(fmt.Sprintf("adoption comment %s/%s#%d", a.Org, a.TemplatesRepo, a.Issue)))
	if err != nil {
		return err
	}
	defer unlock()
	rows, err := w.cfg.Store.Rows(ctx, a.Org, a.TemplatesRepo, a.Issue)
	if err != nil || len(rows) == 0 {
		return err
	}
	gh, err := w.cfg.Client(ctx, a.InstallationID)
	if err != nil {
		return err
	}
	if err := w.cfg.Upgrades.AskDashboard(ctx, a.InstallationID, a.Org, a.TemplatesRepo); err != nil {
		w.cfg.Logger.Warn("asking for a dashboard refresh", "error", err)
	}
	body, done := Comment(rows)
	if _, err := gh.UpsertComment(ctx, a.Org, a.TemplatesRepo, a.Issue, w.cfg.Marker, body); err != nil {
		return fmt.Errorf("commenting on adoption request %s/%s#%d: %w", a.Org, a.TemplatesRepo, a.Issue, err)
	}
	if !done {
		return nil
	}
	is, err := gh.GetIssue(ctx, a.Org, a.TemplatesRepo, a.Issue)
	if err != nil {
		return fmt.Errorf("reading adoption request %s/%s#%d: %w", a.Org, a.TemplatesRepo, a.Issue, err)
	}
	label, closeIt := finishing(is, w.cfg.CreatedLabel)
	if label {
		if err := gh.AddLabels(ctx, a.Org, a.TemplatesRepo, a.Issue, []string{w.cfg.CreatedLabel}); err != nil {
			return fmt.Errorf("labelling adoption request %s/%s#%d: %w", a.Org, a.TemplatesRepo, a.Issue, err)
		}
	}
	if closeIt {
		if err := gh.CloseIssue(ctx, a.Org, a.TemplatesRepo, a.Issue, "completed"); err != nil {
			return fmt.Errorf("closing adoption request %s/%s#%d: %w", a.Org, a.TemplatesRepo, a.Issue, err)
		}
	}
	return nil
}

// finishing decides what a done adoption issue still lacks: the created
// label, and being closed. An issue already closed is left closed as it is
// (whoever closed it, and why).
func finishing(is *github.Issue, createdLabel string) (label, closeIt bool) {
	label = !slices.ContainsFunc(is.Labels, func(l string) bool { return strings.EqualFold(l, createdLabel) })
	return label, is.State != "closed"
}

// Comment renders the issue's comment: a row per repository (its pull
// request, or why it has none) and whether every row is final.
func Comment(rows []Row) (string, bool) {
	var b strings.Builder
	pending, prs := 0, 0
	for _, r := range rows {
		if !r.Final() {
			pending++
		}
		if r.PR != 0 {
			prs++
		}
	}
	tmpl := rows[0].Template
	switch {
	case pending > 0:
		fmt.Fprintf(&b, "## Adopting the %s golden path: %d of %d repositories done\n\n", tmpl, len(rows)-pending, len(rows))
		b.WriteString("goldenpath opens one pull request per repository, paced by the limits of `goldenpath.yaml`; this comment follows its progress.\n\n")
	default:
		fmt.Fprintf(&b, "## Adopting the %s golden path: done\n\n", tmpl)
		fmt.Fprintf(&b, "%d adoption %s opened. Merge one to put its repository in the fleet: newer versions then reach it as upgrade pull requests.\n\n",
			prs, plural(prs, "pull request", "pull requests"))
	}
	b.WriteString("| Repository | Adoption |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", cell(r.Org+"/"+r.Repo), cell(status(r)))
	}
	return b.String(), pending == 0
}

func status(r Row) string {
	pr := fmt.Sprintf("%s/%s#%d", r.Org, r.Repo, r.PR)
	switch r.State {
	case Queued:
		return "queued"
	case Open:
		if r.PR == 0 {
			return "pull request being opened"
		}
		return fmt.Sprintf("%s (v%s)", pr, r.Version)
	case Merged:
		return fmt.Sprintf("%s merged: in the fleet at v%s", pr, r.Version)
	case Closed, Blocked:
		if r.PR != 0 {
			return pr + ": " + r.Reason
		}
	}
	return "no pull request: " + r.Reason
}

// cell keeps text inside one Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
