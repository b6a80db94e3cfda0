package upgrade

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
)

// TestOwnershipDashboardOfThousands: 5,000 fleet repositories render under
// GitHub's 65,536-character body limit, with the ownership problems first,
// the drift summary per template and the worst drift first.
func TestOwnershipDashboardOfThousands(t *testing.T) {
	var repos []fleet.Repo
	drifted := map[string]int{}
	for i := range 5000 {
		name := fmt.Sprintf("service-with-a-long-name-%04d", i)
		o := fleet.Ownership{Team: fmt.Sprintf("team-%02d", i%40), TeamID: int64(i%40 + 1), System: "payments-platform", Lifecycle: "production", Answers: "{}"}
		switch {
		case i%500 == 7:
			o.TeamID = fleet.NoTeam // a deleted team's
		case i%700 == 3:
			o.Team = "" // no owner answer
		}
		repos = append(repos, fleet.Repo{Owner: "acme", Name: name, Template: "svc", Version: fmt.Sprintf("1.%d.0", i%50), Ownership: o})
		drifted["acme/"+name] = i % 7
	}
	drifted["acme/service-with-a-long-name-4321"] = 99
	byTemplate := map[string][]fleet.Repo{"svc": repos}
	prs := map[string][]fleet.UpgradePR{}
	for _, r := range repos {
		prs["svc"] = append(prs["svc"], fleet.UpgradePR{Owner: "acme", Name: r.Name, TargetVersion: "2.0.0", Number: 1, State: fleet.PROpen})
	}
	d := dashboardOf("acme", byTemplate, prs)
	d.ownership = ownershipViewOf(repos, drifted)
	body := d.markdown()
	if len(body) > 65536 {
		t.Fatalf("dashboard body is %d characters, over GitHub's 65,536", len(body))
	}
	own := body[strings.Index(body, "## Ownership"):]
	if !strings.Contains(own, "5000 repositories, 18 without an owner team that exists.") {
		t.Errorf("the ownership summary is missing:\n%.300s", own)
	}
	rows := strings.Split(own, "\n")[6:24]
	for _, row := range rows {
		if !strings.Contains(row, "without an owner team") {
			t.Errorf("the first rows are not the 18 ownership problems: %q", row)
		}
	}
	if !strings.Contains(own, "more not shown") {
		t.Errorf("a truncated ownership table does not say so")
	}
	drift := body[strings.Index(body, "## Drift"):strings.Index(body, "## Ownership")]
	if !strings.Contains(drift, "| `svc` | 4285 of 5000 |") {
		t.Errorf("the drift summary is missing:\n%.400s", drift)
	}
	if i, j := strings.Index(drift, "| acme/service-with-a-long-name-4321 | 99 |"), strings.Index(drift, "| 6 |"); i < 0 || j < 0 || i > j {
		t.Errorf("the worst drift is not first:\n%.600s", drift)
	}
	if !strings.Contains(body, "## `svc`") {
		t.Errorf("the version table was crowded out")
	}
}

func TestOwnerCells(t *testing.T) {
	tests := []struct {
		o    fleet.Ownership
		want string
	}{
		{fleet.Ownership{Team: "team-a", TeamID: 4, Answers: "{}"}, "`team-a`"},
		{fleet.Ownership{Team: "team-a", TeamID: fleet.NoTeam, Answers: "{}"}, "⚠️ without an owner team (`team-a` is no team)"},
		{fleet.Ownership{Answers: "{}"}, "⚠️ without an owner team (no `owner` answer)"},
		{fleet.Ownership{}, "not read yet"},
		{fleet.Ownership{Team: "a|b @x", TeamID: 1, Answers: "{}"}, "`a\\|b @\u200bx`"},
	}
	for _, tt := range tests {
		if got := ownerCell(tt.o); got != tt.want {
			t.Errorf("ownerCell(%+v) = %q, want %q", tt.o, got, tt.want)
		}
	}
}
