package upgrade

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/mdtext"
)

// Budgets of the ownership and drift sections, so that a fleet of
// thousands keeps them, and the version tables, under GitHub's body limit:
// summaries first, then as many rows as fit, the worst first.
const (
	ownershipBudget = 24000
	driftBudget     = 6000
)

// ownershipView is what the dashboard shows of owners and drift (SPEC §7).
type ownershipView struct {
	// repos: without an existing owner team first, then by team and name.
	repos []fleet.Repo
	// drifted: per repository "owner/name", how many rendered files differ
	// on its default branch; absent when the scan could not tell.
	drifted map[string]int
	// scanned: how many repositories of each template the drift scan read.
	scanned map[string]int
}

// ownershipViewOf orders repos for the ownership section (a pure function).
func ownershipViewOf(repos []fleet.Repo, drifted map[string]int) ownershipView {
	v := ownershipView{repos: sortedByOwnership(repos), drifted: drifted, scanned: map[string]int{}}
	for _, r := range repos {
		if _, ok := drifted[r.Owner+"/"+r.Name]; ok {
			v.scanned[r.Template]++
		}
	}
	return v
}

func sortedByOwnership(repos []fleet.Repo) []fleet.Repo {
	out := append([]fleet.Repo(nil), repos...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Ownership.HasTeam() != b.Ownership.HasTeam() {
			return !a.Ownership.HasTeam()
		}
		if a.Ownership.Team != b.Ownership.Team {
			return a.Ownership.Team < b.Ownership.Team
		}
		return a.Owner+"/"+a.Name < b.Owner+"/"+b.Name
	})
	return out
}

// ownerless counts the repositories without an existing owner team.
func (v ownershipView) ownerless() int {
	n := 0
	for _, r := range v.repos {
		if !r.Ownership.HasTeam() {
			n++
		}
	}
	return n
}

// markdown writes the ownership and drift sections.
func (v ownershipView) markdown(b *strings.Builder) {
	if len(v.repos) == 0 {
		return
	}
	v.driftMarkdown(b)
	start := b.Len()
	fmt.Fprintf(b, "\n## Ownership\n\n%d repositor%s, %d without an owner team that exists.\n\n", len(v.repos), pluralY(len(v.repos)), v.ownerless())
	b.WriteString("| Repository | Owner team | System | Lifecycle |\n|---|---|---|---|\n")
	for i, r := range v.repos {
		if b.Len()-start > ownershipBudget {
			fmt.Fprintf(b, "| … | %d more not shown | | |\n", len(v.repos)-i)
			break
		}
		fmt.Fprintf(b, "| %s/%s | %s | %s | %s |\n", r.Owner, r.Name, ownerCell(r.Ownership), tableText(r.Ownership.System), tableText(r.Ownership.Lifecycle))
	}
}

func ownerCell(o fleet.Ownership) string {
	switch {
	case o.Team == "" && o.Answers == "":
		return "not read yet"
	case o.Team == "":
		return "⚠️ without an owner team (no `owner` answer)"
	case o.TeamID == fleet.NoTeam:
		return fmt.Sprintf("⚠️ without an owner team (`%s` is no team)", tableText(o.Team))
	case o.TeamID == 0:
		return fmt.Sprintf("`%s` (not checked yet)", tableText(o.Team))
	}
	return "`" + tableText(o.Team) + "`"
}

// driftMarkdown writes, per template, how many repositories drifted, then
// the repositories with the most drifted files first.
func (v ownershipView) driftMarkdown(b *strings.Builder) {
	if len(v.drifted) == 0 {
		return
	}
	start := b.Len()
	perTemplate := map[string]int{}
	var worst []fleet.Repo
	for _, r := range v.repos {
		if n := v.drifted[r.Owner+"/"+r.Name]; n > 0 {
			perTemplate[r.Template]++
			worst = append(worst, r)
		}
	}
	b.WriteString("\n## Drift\n\nFiles on the default branch that differ from the render of the repository's recorded version and answers.\n\n| Template | Drifted repositories |\n|---|---|\n")
	names := make([]string, 0, len(v.scanned))
	for name := range v.scanned {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(b, "| `%s` | %d of %d |\n", name, perTemplate[name], v.scanned[name])
	}
	sort.SliceStable(worst, func(i, j int) bool {
		return v.drifted[worst[i].Owner+"/"+worst[i].Name] > v.drifted[worst[j].Owner+"/"+worst[j].Name]
	})
	if len(worst) > 0 {
		b.WriteString("\n| Repository | Drifted files |\n|---|---|\n")
	}
	for i, r := range worst {
		if b.Len()-start > driftBudget {
			fmt.Fprintf(b, "| … | %d more not shown |\n", len(worst)-i)
			break
		}
		fmt.Fprintf(b, "| %s/%s | %d |\n", r.Owner, r.Name, v.drifted[r.Owner+"/"+r.Name])
	}
}

// tableText keeps an answer from breaking a table row or mentioning anyone.
func tableText(s string) string { return mdtext.Escape(mdtext.Cut(s, 80)) }

// scanReaders bounds the repositories scanned at once: the reads are
// conditional (304s cost no rate limit) and not paced like writes, so a
// fleet of thousands is read in parallel rather than one at a time.
const scanReaders = 8

// scanFleet reads the ownership and drift of owner's fleet repositories
// (Config.Scanner; nil: the index's ownership, no drift). A repository that
// cannot be read is left out of the drift counts, not a failure of the
// dashboard.
func (w *Workflow) scanFleet(ctx context.Context, gh GitHub, a DashboardArgs, repos []fleet.Repo) ([]fleet.Repo, map[string]int) {
	drifted := map[string]int{}
	if w.cfg.Scanner == nil {
		return repos, drifted
	}
	out := make([]fleet.Repo, len(repos))
	counts := make([]int, len(repos)) // -1: unknown
	sem := make(chan struct{}, scanReaders)
	var wg sync.WaitGroup
	for i, r := range repos {
		out[i], counts[i] = r, -1
		if ctx.Err() != nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			scanned, res, err := w.cfg.Scanner.Scan(ctx, gh, r, a.Owner, a.TemplatesRepo)
			out[i] = scanned
			switch {
			case err != nil:
				w.cfg.Logger.Warn("scanning a fleet repository for the dashboard", slog.String("repo", r.Owner+"/"+r.Name), slog.Any("error", err))
			case res.Err == "":
				counts[i] = len(res.Drifted)
			}
		}()
	}
	wg.Wait()
	for i, r := range repos {
		if counts[i] >= 0 {
			drifted[r.Owner+"/"+r.Name] = counts[i]
		}
	}
	return out, drifted
}
