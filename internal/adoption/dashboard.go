package adoption

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// DashboardSection is the fleet dashboard's adoption section for owner: one
// row per adoption request with repositories still queued or pull requests
// still open ("" when there is none).
func (w *Workflow) DashboardSection(ctx context.Context, owner string) (string, error) {
	rows, err := w.cfg.Store.OwnerRows(ctx, owner)
	if err != nil {
		return "", err
	}
	return dashboardSection(rows), nil
}

type progress struct {
	first                       Row
	total, queued, open, merged int
}

func dashboardSection(rows []Row) string {
	byIssue := map[int]*progress{}
	for _, r := range rows {
		p := byIssue[r.Issue]
		if p == nil {
			p = &progress{first: r}
			byIssue[r.Issue] = p
		}
		p.total++
		switch r.State {
		case Queued:
			p.queued++
		case Open:
			p.open++
		case Merged:
			p.merged++
		}
	}
	var issues []int
	for n, p := range byIssue {
		if p.queued > 0 || p.open > 0 {
			issues = append(issues, n)
		}
	}
	if len(issues) == 0 {
		return ""
	}
	sort.Ints(issues)
	var b strings.Builder
	b.WriteString("\n## Adoptions in progress\n\n| Request | Template | Repositories | Waiting | Pull requests open | Merged |\n|---|---|---|---|---|---|\n")
	for _, n := range issues {
		p := byIssue[n]
		fmt.Fprintf(&b, "| %s/%s#%d | `%s` | %d | %d | %d | %d |\n", p.first.Org, p.first.TemplatesRepo, n, p.first.Template, p.total, p.queued, p.open, p.merged)
	}
	return b.String()
}
