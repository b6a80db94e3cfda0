package upgrade

import (
	"slices"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
)

// TestDashboardModel: the dashboard's content, apart from its Markdown:
// templates by name, versions newest first (unreadable ones last), the
// newest version seen among repositories and pull requests, repositories
// and pull requests sorted.
func TestDashboardModel(t *testing.T) {
	repo := func(name, version string) fleet.Repo { return fleet.Repo{Owner: "acme", Name: name, Version: version} }
	d := dashboardOf("acme", map[string][]fleet.Repo{
		"svc": {repo("b", "1.0.0"), repo("a", "1.0.0"), repo("c", "1.2.0"), repo("d", "main")},
		"api": {repo("x", "2.0.0")},
	}, map[string][]fleet.UpgradePR{
		"svc": {{Owner: "acme", Name: "b", TargetVersion: "1.3.0"}, {Owner: "acme", Name: "a", TargetVersion: "1.3.0"}},
	})
	if len(d.templates) != 2 || d.templates[0].name != "api" || d.templates[1].name != "svc" {
		t.Fatalf("templates %+v, want api then svc", d.templates)
	}
	svc := d.templates[1]
	if svc.newest == nil || svc.newest.String() != "1.3.0" || svc.repos != 4 {
		t.Errorf("svc: newest %v, %d repositories; want 1.3.0 (a pull request's) and 4", svc.newest, svc.repos)
	}
	want := []versionRow{{"v1.2.0", []string{"acme/c"}}, {"v1.0.0", []string{"acme/a", "acme/b"}}, {"`main`", []string{"acme/d"}}}
	if !slices.EqualFunc(svc.rows, want, func(a, b versionRow) bool { return a.label == b.label && slices.Equal(a.names, b.names) }) {
		t.Errorf("svc rows %+v, want %+v", svc.rows, want)
	}
	if len(svc.prs) != 2 || svc.prs[0].Name != "a" {
		t.Errorf("svc pull requests %+v, want a then b", svc.prs)
	}
	if api := d.templates[0]; len(api.rows) != 1 || api.rows[0].label != "v2.0.0 (newest)" {
		t.Errorf("api rows %+v, want v2.0.0 (newest)", api.rows)
	}
}
