package upgrade

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestRenderBodyGolden(t *testing.T) {
	plan := merge.PlanUpgrade(
		merge.Tree{"a.txt": {Data: []byte("a\n")}, "conf.yml": {Data: []byte("port: 1\n")}, "gone.txt": {Data: []byte("g\n")}, "edited.txt": {Data: []byte("e\n")}},
		merge.Tree{"a.txt": {Data: []byte("a\nb\n")}, "conf.yml": {Data: []byte("port: 2\n")}, "new.txt": {Data: []byte("n\n")}},
		merge.Tree{"a.txt": {Data: []byte("a\n")}, "conf.yml": {Data: []byte("port: 3\n")}, "gone.txt": {Data: []byte("g\n")}, "edited.txt": {Data: []byte("mine\n")}, "own.txt": {Data: []byte("o\n")}},
		merge.Options{TheirsLabel: "template v1.2.0"})
	body := renderBody(bodyInput{
		Meta:      Meta{Template: "go-service", From: "1.0.0", To: "1.2.0", Source: "acme/golden-paths", Base: "b4se", Commit: "c0mmit"},
		Changelog: "## 1.2.0\n\n- Port 2.\n\n## 1.1.0\n\n- New file.",
		Plan:      plan,
	})
	golden(t, "body.golden.md", body)
	meta, ok := ParseMeta(body)
	if !ok || meta.Commit != "c0mmit" || meta.To != "1.2.0" {
		t.Errorf("ParseMeta = %+v, %v", meta, ok)
	}
	if RebuildRequested(body) {
		t.Errorf("a fresh body asks for a rebuild")
	}
	if len(body) > maxBody {
		t.Errorf("body is %d characters", len(body))
	}
}

func TestMetaAndRebuildBox(t *testing.T) {
	for _, m := range []Meta{
		{Template: "svc", From: "1.0.0", To: "2.0.0", Source: "a/b", Base: "x-->y", Commit: "--"},
		{Template: "svc", From: "1.0.0", To: "1.0.0", Source: "a/b", Base: "x", Commit: "y",
			BaseAnswers: map[string]any{"owner": "team-a"}, Set: map[string]any{"owner": "team-b"}, Reason: "Team renamed -->"},
	} {
		got, ok := ParseMeta("text\n" + m.block() + "\nmore")
		if !ok || !reflect.DeepEqual(got, m) {
			t.Errorf("round trip: %+v %v, want %+v", got, ok, m)
		}
	}
	for body, want := range map[string]bool{
		"- [x] " + RebuildMarker + " Rebuild":    true,
		"- [X] " + RebuildMarker + " Rebuild":    true,
		"  * [x] " + RebuildMarker:               true,
		"- [ ] " + RebuildMarker + " Rebuild":    false,
		"quoting: `- [x] " + RebuildMarker + "`": false,
		"- [x] Rebuild this branch":              false,
	} {
		if RebuildRequested(body) != want {
			t.Errorf("RebuildRequested(%q) = %v", body, !want)
		}
	}
	for _, body := range []string{"", "<!-- goldenpath:meta {broken -->", "<!-- goldenpath:meta {\"template\":\"\"} -->"} {
		if _, ok := ParseMeta(body); ok {
			t.Errorf("ParseMeta(%q) accepted", body)
		}
	}
}

func TestRenderDashboardGolden(t *testing.T) {
	repos := map[string][]fleet.Repo{
		"go-service": {
			{Owner: "acme", Name: "payments", Version: "1.2.0"},
			{Owner: "acme", Name: "orders", Version: "1.0.0"},
			{Owner: "acme", Name: "ledger", Version: "1.0.0"},
			{Owner: "acme", Name: "odd", Version: "main"},
		},
		"node-service": {{Owner: "acme", Name: "web", Version: "0.3.0"}},
	}
	prs := map[string][]fleet.UpgradePR{
		"go-service": {
			{Owner: "acme", Name: "orders", TargetVersion: "1.3.0", Number: 7, State: fleet.PROpen, Conflicts: 2},
			{Owner: "acme", Name: "ledger", TargetVersion: "1.3.0", Number: 3, State: fleet.PRBlocked},
			{Owner: "acme", Name: "payments", TargetVersion: "1.2.0", Number: 9, State: fleet.PRMerged},
			{Owner: "acme", Name: "odd", TargetVersion: "1.3.0", State: PRFailed, LastError: "rendering go-service v1.3.0: bad | pipe"},
		},
	}
	got := renderDashboard("acme", repos, prs)
	golden(t, "dashboard.golden.md", got)
	if !strings.Contains(got, "(newest seen: v1.3.0)") {
		t.Errorf("the newest version is not shown")
	}
}

func TestDashboardStaysUnderGitHubsLimit(t *testing.T) {
	var repos []fleet.Repo
	var prs []fleet.UpgradePR
	for i := range 5000 {
		name := fmt.Sprintf("service-with-a-long-name-%04d", i)
		repos = append(repos, fleet.Repo{Owner: "acme", Name: name, Version: fmt.Sprintf("1.%d.0", i%50)})
		prs = append(prs, fleet.UpgradePR{Owner: "acme", Name: name, TargetVersion: "2.0.0", Number: i + 1, State: fleet.PROpen, LastError: strings.Repeat("x", 200)})
	}
	body := renderDashboard("acme", map[string][]fleet.Repo{"svc": repos, "other": repos[:100]}, map[string][]fleet.UpgradePR{"svc": prs, "other": prs[:100]})
	if len(body) > 65536 {
		t.Errorf("dashboard body is %d characters, over GitHub's 65,536", len(body))
	}
	if !strings.Contains(body, "more not shown") {
		t.Errorf("a truncated table does not say so")
	}
}

func TestDashboardOmitsAnEmptyPullRequestTable(t *testing.T) {
	repos := map[string][]fleet.Repo{"go-service": {{Owner: "acme", Name: "payments", Version: "1.1.0"}}}
	prs := map[string][]fleet.UpgradePR{"go-service": {{Owner: "acme", Name: "payments", TargetVersion: "1.1.0", Number: 1, State: fleet.PRMerged}}}
	got := renderDashboard("acme", repos, prs)
	if strings.Contains(got, "| Repository | Upgrade to |") {
		t.Errorf("a table with no rows is shown when every upgrade PR is merged:\n%s", got)
	}
	if !strings.Contains(got, "1 merged") {
		t.Errorf("the merged count is missing:\n%s", got)
	}
}
