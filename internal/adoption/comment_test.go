package adoption

import (
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/github"
)

func TestFinishing(t *testing.T) {
	const created = "goldenpath:created"
	tests := []struct {
		name           string
		issue          github.Issue
		label, closeIt bool
	}{
		{name: "open, unlabelled", issue: github.Issue{State: "open"}, label: true, closeIt: true},
		{name: "labelled, open", issue: github.Issue{State: "open", Labels: []string{"goldenpath:request", created}}, closeIt: true},
		{name: "closed, unlabelled", issue: github.Issue{State: "closed", Labels: []string{"goldenpath:request"}}, label: true},
		{name: "done", issue: github.Issue{State: "closed", Labels: []string{"Goldenpath:Created"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			label, closeIt := finishing(&tc.issue, created)
			if label != tc.label || closeIt != tc.closeIt {
				t.Errorf("finishing = label %v, close %v; want %v, %v", label, closeIt, tc.label, tc.closeIt)
			}
		})
	}
}
