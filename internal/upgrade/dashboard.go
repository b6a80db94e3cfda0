package upgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// DashboardTitle is the fleet dashboard issue's title.
const DashboardTitle = "Golden path fleet"

// DashboardLabel marks the dashboard issue (and narrows the search for it).
const DashboardLabel = "goldenpath:fleet"

// RefreshDashboard rewrites the dashboard issue of one account from the
// fleet index: per template, which repositories are on which version, and
// every upgrade pull request with its state, conflicts and failures.
// Requests: the issue search, plus one write when the table changed (plus
// the labels check once per process).
func (w *Workflow) RefreshDashboard(ctx context.Context, a DashboardArgs) error {
	if a.TemplatesRepo == "" {
		a.TemplatesRepo = w.cfg.TemplatesRepo
	}
	// Refreshes of one dashboard take turns, across replicas too: two that
	// both find no issue would each create one.
	unlock, err := w.cfg.Locks.Lock(ctx, "dashboard "+strings.ToLower(a.Owner+"/"+a.TemplatesRepo))
	if err != nil {
		return err
	}
	defer unlock()
	repos, err := w.cfg.Fleet.List(ctx)
	if err != nil {
		return err
	}
	byTemplate := map[string][]fleet.Repo{}
	for _, r := range repos {
		if strings.EqualFold(r.Owner, a.Owner) {
			byTemplate[r.Template] = append(byTemplate[r.Template], r)
		}
	}
	prs := map[string][]fleet.UpgradePR{}
	for name := range byTemplate {
		list, err := w.cfg.Fleet.UpgradePRs(ctx, name)
		if err != nil {
			return err
		}
		for _, pr := range list {
			if strings.EqualFold(pr.Owner, a.Owner) {
				prs[name] = append(prs[name], pr)
			}
		}
	}
	gh, err := w.cfg.Client(ctx, a.InstallationID)
	if err != nil {
		return err
	}
	var owned []fleet.Repo
	for _, list := range byTemplate {
		owned = append(owned, list...)
	}
	owned, drifted := w.scanFleet(ctx, gh, a, owned)
	d := dashboardOf(a.Owner, byTemplate, prs)
	d.ownership = ownershipViewOf(owned, drifted)
	body := d.markdown()
	for _, section := range w.cfg.DashboardSections {
		extra, err := section(ctx, a.Owner)
		if err != nil {
			return err
		}
		body += extra
	}
	key := strings.ToLower(a.Owner + "/" + a.TemplatesRepo)
	w.mu.Lock()
	labeled := w.labeled[key]
	w.mu.Unlock()
	if !labeled {
		if err := gh.EnsureLabels(ctx, a.Owner, a.TemplatesRepo, []github.Label{
			{Name: DashboardLabel, Color: "fbca04", Description: "The golden path fleet dashboard"},
			{Name: Label, Color: "0e8a16", Description: "A golden path template upgrade"},
		}); err != nil {
			return noTemplatesRepo(w, a, err)
		}
		w.mu.Lock()
		w.labeled[key] = true
		w.mu.Unlock()
	}
	_, err = gh.CreateOrUpdateIssueByTitle(ctx, a.Owner, a.TemplatesRepo, github.IssueSpec{Title: DashboardTitle, Body: body, Labels: []string{DashboardLabel}})
	return noTemplatesRepo(w, a, err)
}

// noTemplatesRepo: an account may install the App before it has a templates
// repository (or without sharing it with the App). There is then nowhere to
// show the dashboard, which is not a failure to retry; the push that creates
// the repository brings the dashboard with the next fleet change.
func noTemplatesRepo(w *Workflow, a DashboardArgs, err error) error {
	if errors.Is(err, github.ErrNotFound) {
		w.cfg.Logger.Info("no templates repository to hold the fleet dashboard", "owner", a.Owner, "repo", a.TemplatesRepo)
		return nil
	}
	return err
}

// maxCell bounds the repositories named in one table cell.
const maxCell = 40

// dashboard is what the fleet dashboard shows, apart from its Markdown.
type dashboard struct {
	owner     string
	templates []templateView
	ownership ownershipView
}

// templateView is one template's section: its versions and pull requests.
type templateView struct {
	name   string
	newest *semver.Version // nil: no version parses
	repos  int
	rows   []versionRow // newest first, then versions that do not parse
	prs    []fleet.UpgradePR
}

// versionRow is one version and the repositories on it, sorted.
type versionRow struct {
	label string
	names []string
}

// dashboardOf builds the dashboard of owner's fleet (a pure function).
func dashboardOf(owner string, repos map[string][]fleet.Repo, prs map[string][]fleet.UpgradePR) dashboard {
	d := dashboard{owner: owner}
	names := make([]string, 0, len(repos))
	for n := range repos {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d.templates = append(d.templates, templateViewOf(name, repos[name], prs[name]))
	}
	return d
}

func templateViewOf(name string, list []fleet.Repo, prs []fleet.UpgradePR) templateView {
	tv := templateView{name: name, repos: len(list)}
	byVersion := map[string][]string{}
	var versions []*semver.Version
	var odd []string
	for _, r := range list {
		if _, ok := byVersion[r.Version]; !ok {
			if v, err := semver.NewVersion(r.Version); err == nil {
				versions = append(versions, v)
			} else {
				odd = append(odd, r.Version)
			}
		}
		byVersion[r.Version] = append(byVersion[r.Version], r.Owner+"/"+r.Name)
	}
	for _, pr := range prs {
		if v, err := semver.NewVersion(pr.TargetVersion); err == nil && (tv.newest == nil || v.GreaterThan(tv.newest)) {
			tv.newest = v
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].GreaterThan(versions[j]) })
	if len(versions) > 0 && (tv.newest == nil || versions[0].GreaterThan(tv.newest)) {
		tv.newest = versions[0]
	}
	for _, v := range versions {
		label := "v" + v.String()
		if tv.newest != nil && v.Equal(tv.newest) {
			label += " (newest)"
		}
		tv.rows = append(tv.rows, versionRow{label: label, names: sorted(byVersion[v.Original()])})
	}
	for _, v := range odd {
		tv.rows = append(tv.rows, versionRow{label: fmt.Sprintf("`%s`", v), names: sorted(byVersion[v])})
	}
	tv.prs = slices.Clone(prs)
	sort.Slice(tv.prs, func(i, j int) bool {
		if tv.prs[i].Owner != tv.prs[j].Owner {
			return tv.prs[i].Owner < tv.prs[j].Owner
		}
		return tv.prs[i].Name < tv.prs[j].Name
	})
	return tv
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func renderDashboard(owner string, repos map[string][]fleet.Repo, prs map[string][]fleet.UpgradePR) string {
	return dashboardOf(owner, repos, prs).markdown()
}

// markdown is the dashboard issue's body, within GitHub's size limit: a
// big fleet shows counts where names do not fit.
func (d dashboard) markdown() string {
	var b strings.Builder
	b.WriteString("This issue is kept up to date by goldenpath: which repositories of `" + d.owner + "` are on which template version, and the upgrade pull requests in flight. Edits here are overwritten.\n")
	if len(d.templates) == 0 {
		b.WriteString("\nNo repository made from a golden path template yet.\n")
	}
	d.ownership.markdown(&b)
	for _, tv := range d.templates {
		tv.versionsMarkdown(&b)
		tv.prsMarkdown(&b)
	}
	out := b.String()
	if len(out) > maxBody {
		// Last resort: GitHub refuses bodies over 65,536 characters.
		cut := strings.LastIndex(out[:maxBody-100], "\n")
		out = out[:cut+1] + "\n… (the rest does not fit in an issue)\n"
	}
	return out
}

func (tv templateView) versionsMarkdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## `%s`", tv.name)
	if tv.newest != nil {
		fmt.Fprintf(b, " (newest seen: v%s)", tv.newest)
	}
	fmt.Fprintf(b, "\n\n%d repositor%s.\n\n| Version | Repositories |\n|---|---|\n", tv.repos, pluralY(tv.repos))
	for _, row := range tv.rows {
		shown := min(len(row.names), maxCell)
		if b.Len() > maxBody/2 {
			shown = 0 // a big fleet: counts only, keep room for the pull requests
		}
		cell := strings.Join(row.names[:shown], ", ")
		if len(row.names) > shown {
			if shown == 0 {
				cell = "(names not shown)"
			} else {
				cell += fmt.Sprintf(" and %d more", len(row.names)-shown)
			}
		}
		fmt.Fprintf(b, "| %s | %d: %s |\n", row.label, len(row.names), cell)
	}
}

func (tv templateView) prsMarkdown(b *strings.Builder) {
	list := tv.prs
	if len(list) == 0 {
		return
	}
	counts := map[string]int{}
	for _, pr := range list {
		counts[pr.State]++
	}
	fmt.Fprintf(b, "\n**Upgrade pull requests**: %d open, %d with conflicts, %d blocked, %d failed, %d closed unmerged, %d merged.\n\n",
		counts[fleet.PROpen], conflicted(list), counts[fleet.PRBlocked], failed(list), counts[fleet.PRClosed], counts[fleet.PRMerged])
	header := false
	for i, pr := range list {
		if pr.State == fleet.PRMerged && pr.LastError == "" {
			continue // done: the version table shows it
		}
		if !header {
			b.WriteString("| Repository | Upgrade to | Pull request | State |\n|---|---|---|---|\n")
			header = true
		}
		if b.Len() > maxBody-5000 {
			// GitHub refuses bodies over 65,536 characters.
			fmt.Fprintf(b, "| … | | | %d more not shown |\n", len(list)-i)
			break
		}
		ref := "—"
		if pr.Number > 0 {
			ref = fmt.Sprintf("%s/%s#%d", pr.Owner, pr.Name, pr.Number)
		}
		fmt.Fprintf(b, "| %s/%s | v%s | %s | %s |\n", pr.Owner, pr.Name, pr.TargetVersion, ref, stateText(pr))
	}
}

func conflicted(prs []fleet.UpgradePR) int {
	n := 0
	for _, pr := range prs {
		if pr.State == fleet.PROpen && pr.Conflicts > 0 {
			n++
		}
	}
	return n
}

func failed(prs []fleet.UpgradePR) int {
	n := 0
	for _, pr := range prs {
		if pr.LastError != "" {
			n++
		}
	}
	return n
}

func stateText(pr fleet.UpgradePR) string {
	var s string
	switch pr.State {
	case fleet.PROpen:
		s = "open"
		if pr.Conflicts > 0 {
			s = fmt.Sprintf("open, ⚠️ %d conflict%s", pr.Conflicts, plural(pr.Conflicts))
		}
	case fleet.PRBlocked:
		s = "blocked: someone pushed to the branch"
	case fleet.PRClosed:
		s = "closed unmerged (skipped)"
	case fleet.PRMerged:
		s = "merged"
	case PRFailed:
		s = "❌ failed"
	default:
		s = pr.State
	}
	if pr.LastError != "" {
		e := strings.ReplaceAll(strings.ReplaceAll(pr.LastError, "|", "\\|"), "\n", " ")
		if len(e) > 300 {
			e = e[:300] + "…"
		}
		if pr.State != PRFailed {
			s += "; ❌ failed"
		}
		s += ": " + e
	}
	return s
}

func pluralY(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}
