package ownership

import (
	"errors"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

func TestDecidePush(t *testing.T) {
	af := func(tmpl string) *template.AnswersFile {
		return &template.AnswersFile{Template: tmpl, Version: "1.0.0"}
	}
	tests := []struct {
		name string
		f    pushFacts
		want verdict
	}{
		{"answers file gone", pushFacts{before: af("svc")}, doNothing},
		{"does not parse", pushFacts{before: af("svc"), afterErr: errors.New("line 3: bad")}, doComment},
		{"invalid answers", pushFacts{before: af("svc"), after: af("svc"), problems: []string{"lifecycle: not an option"}}, doComment},
		{"added by hand", pushFacts{after: af("svc")}, doRecord},
		{"another template", pushFacts{before: af("old"), after: af("svc")}, doRecord},
		{"same answers (version or formatting changed)", pushFacts{before: af("svc"), after: af("svc"), equal: true}, doRecord},
		{"goldenpath's own pull request merged", pushFacts{before: af("svc"), after: af("svc"), merged: true}, doRecord},
		{"a person's new answers", pushFacts{before: af("svc"), after: af("svc")}, doReanswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decidePush(tt.f); got != tt.want {
				t.Errorf("decidePush = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMergesOwnPR(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"Merge pull request #7 from acme/goldenpath/upgrade-go-service\n\nApply new answers", true},
		{"Merge pull request #7 from ACME/goldenpath/upgrade-svc", true},
		{"Merge pull request #7 from acme/feature", false},
		{"Merge pull request #7 from fork/goldenpath/upgrade-svc", false},
		{"Change the answers", false},
	}
	for _, tt := range tests {
		if got := mergesOwnPR(tt.msg, "acme", "goldenpath/upgrade-"); got != tt.want {
			t.Errorf("mergesOwnPR(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}

func TestTargetVersion(t *testing.T) {
	tests := []struct {
		name  string
		pr    fleet.UpgradePR
		found bool
		want  string
	}{
		{"no pull request", fleet.UpgradePR{}, false, "1.0.0"},
		{"an open upgrade: rebuilt at its version", fleet.UpgradePR{State: fleet.PROpen, TargetVersion: "1.2.0"}, true, "1.2.0"},
		{"a blocked upgrade too", fleet.UpgradePR{State: fleet.PRBlocked, TargetVersion: "1.2.0"}, true, "1.2.0"},
		{"merged", fleet.UpgradePR{State: fleet.PRMerged, TargetVersion: "1.2.0"}, true, "1.0.0"},
		{"an older version", fleet.UpgradePR{State: fleet.PROpen, TargetVersion: "0.9.0"}, true, "1.0.0"},
		{"not semver", fleet.UpgradePR{State: fleet.PROpen, TargetVersion: "main"}, true, "1.0.0"},
	}
	for _, tt := range tests {
		if got := targetVersion("1.0.0", tt.pr, tt.found); got != tt.want {
			t.Errorf("%s: targetVersion = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSlugOf(t *testing.T) {
	for name, want := range map[string]string{"Team Payments Core": "team-payments-core", "team-payments": "team-payments", " A  b!!c_d ": "a-b-c_d"} {
		if got := slugOf(name); got != want {
			t.Errorf("slugOf(%q) = %q, want %q", name, got, want)
		}
	}
}
