package upgrade

import (
	"context"
	"errors"
	"fmt"
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
	// Refreshes of one dashboard take turns in this process: two that both
	// find no issue would each create one. (Two replicas can still race.)
	unlock := w.locks.Lock("dashboard " + strings.ToLower(a.Owner+"/"+a.TemplatesRepo))
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
	body := renderDashboard(a.Owner, byTemplate, prs)

	gh, err := w.cfg.Client(ctx, a.InstallationID)
	if err != nil {
		return err
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

func renderDashboard(owner string, repos map[string][]fleet.Repo, prs map[string][]fleet.UpgradePR) string {
	var b strings.Builder
	b.WriteString("This issue is kept up to date by goldenpath: which repositories of `" + owner + "` are on which template version, and the upgrade pull requests in flight. Edits here are overwritten.\n")
	names := make([]string, 0, len(repos))
	for n := range repos {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		b.WriteString("\nNo repository made from a golden path template yet.\n")
	}
	for _, name := range names {
		list := repos[name]
		byVersion := map[string][]string{}
		var versions []*semver.Version
		var odd []string
		latest := (*semver.Version)(nil)
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
		for _, pr := range prs[name] {
			if v, err := semver.NewVersion(pr.TargetVersion); err == nil && (latest == nil || v.GreaterThan(latest)) {
				latest = v
			}
		}
		sort.Slice(versions, func(i, j int) bool { return versions[i].GreaterThan(versions[j]) })
		if len(versions) > 0 && (latest == nil || versions[0].GreaterThan(latest)) {
			latest = versions[0]
		}
		fmt.Fprintf(&b, "\n## `%s`", name)
		if latest != nil {
			fmt.Fprintf(&b, " (newest seen: v%s)", latest)
		}
		fmt.Fprintf(&b, "\n\n%d repositor%s.\n\n| Version | Repositories |\n|---|---|\n", len(list), pluralY(len(list)))
		row := func(label, version string) {
			names := byVersion[version]
			sort.Strings(names)
			shown := min(len(names), maxCell)
			if b.Len() > maxBody/2 {
				shown = 0 // a big fleet: counts only, keep room for the pull requests
			}
			cell := strings.Join(names[:shown], ", ")
			if len(names) > shown {
				if shown == 0 {
					cell = "(names not shown)"
				} else {
					cell += fmt.Sprintf(" and %d more", len(names)-shown)
				}
			}
			fmt.Fprintf(&b, "| %s | %d: %s |\n", label, len(names), cell)
		}
		for _, v := range versions {
			label := "v" + v.String()
			if latest != nil && v.Equal(latest) {
				label += " (newest)"
			}
			row(label, v.Original())
		}
		for _, v := range odd {
			row(fmt.Sprintf("`%s`", v), v)
		}

		list2 := prs[name]
		if len(list2) == 0 {
			continue
		}
		sort.Slice(list2, func(i, j int) bool {
			if list2[i].Owner != list2[j].Owner {
				return list2[i].Owner < list2[j].Owner
			}
			return list2[i].Name < list2[j].Name
		})
		counts := map[string]int{}
		for _, pr := range list2 {
			counts[pr.State]++
		}
		fmt.Fprintf(&b, "\n**Upgrade pull requests**: %d open, %d with conflicts, %d blocked, %d failed, %d closed unmerged, %d merged.\n\n",
			counts[fleet.PROpen], conflicted(list2), counts[fleet.PRBlocked], failed(list2), counts[fleet.PRClosed], counts[fleet.PRMerged])
		header := false
		for i, pr := range list2 {
			if pr.State == fleet.PRMerged && pr.LastError == "" {
				continue // done: the version table shows it
			}
			if !header {
				b.WriteString("| Repository | Upgrade to | Pull request | State |\n|---|---|---|---|\n")
				header = true
			}
			if b.Len() > maxBody-5000 {
				// GitHub refuses bodies over 65,536 characters.
				fmt.Fprintf(&b, "| … | | | %d more not shown |\n", len(list2)-i)
				break
			}
			ref := "—"
			if pr.Number > 0 {
				ref = fmt.Sprintf("%s/%s#%d", pr.Owner, pr.Name, pr.Number)
			}
			fmt.Fprintf(&b, "| %s/%s | v%s | %s | %s |\n", pr.Owner, pr.Name, pr.TargetVersion, ref, stateText(pr))
		}
	}
	out := b.String()
	if len(out) > maxBody {
		// Last resort: GitHub refuses bodies over 65,536 characters.
		cut := strings.LastIndex(out[:maxBody-100], "\n")
		out = out[:cut+1] + "\n… (the rest does not fit in an issue)\n"
	}
	return out
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
