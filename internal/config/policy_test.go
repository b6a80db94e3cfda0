package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/config"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    config.Policy
		wantErr []string
	}{
		{name: "empty file gives defaults", yaml: "", want: config.DefaultPolicy()},
		{name: "comment only", yaml: "# nothing yet\n", want: config.DefaultPolicy()},
		{name: "full", yaml: `
requesters:
  teams: [Platform, backend]
approval:
  required: true
  approvers: platform-leads
repository:
  visibility: internal
  topics: [golden, go]
upgrades:
  prHourlyLimit: 20
  prConcurrentLimit: 50
`, want: config.Policy{
			Requesters: config.Requesters{Teams: []string{"platform", "backend"}},
			Approval:   config.Approval{Required: true, Approvers: "platform-leads"},
			Repository: config.RepositoryPolicy{Visibility: "internal", Topics: []string{"golden", "go"}},
			Upgrades:   config.Upgrades{PRHourlyLimit: 20, PRConcurrentLimit: 50},
		}},
		{name: "partial keeps defaults", yaml: "repository:\n  topics: [x]\n", want: config.Policy{
			Repository: config.RepositoryPolicy{Visibility: "private", Topics: []string{"x"}},
		}},
		{name: "misspelt key names its line", yaml: "approval:\n  required: true\n  aprovers: leads\n", wantErr: []string{`line 3: unknown key "aprovers"`}},
		{name: "unknown top-level key", yaml: "requesters: {}\nrepo:\n  visibility: public\n", wantErr: []string{`line 2: unknown key "repo"`}},
		{name: "approval without approvers", yaml: "approval: {required: true}\n", wantErr: []string{"approval.approvers must name a team"}},
		{name: "every problem at once", yaml: "repository: {visibility: secret, topics: [Bad Topic]}\nupgrades: {prHourlyLimit: -1}\n",
			wantErr: []string{"repository.visibility must be", `"Bad Topic" is not a GitHub topic`, "prHourlyLimit must not be negative"}},
		{name: "wrong type", yaml: "approval: {required: maybe}\n", wantErr: []string{"line 1"}},
		{name: "bad team slug", yaml: "requesters: {teams: [\"two words\"]}\n", wantErr: []string{`"two words" is not a team slug`}},
		{name: "not yaml", yaml: "requesters: [\n", wantErr: []string{"goldenpath.yaml"}},
		{name: "any owner team", yaml: "requesters: {anyOwnerTeam: true}\n", want: config.Policy{
			Requesters: config.Requesters{AnyOwnerTeam: true}, Repository: config.RepositoryPolicy{Visibility: "private"},
		}},
		{name: "misspelt owner key", yaml: "requesters:\n  anyOwnerTeams: true\n", wantErr: []string{`line 2: unknown key "anyOwnerTeams"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := config.ParsePolicy([]byte(tc.yaml))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %v", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestOwnerAllowed: the owner team of a new repository must include the
// requester, unless the policy allows any team or the requester approves.
func TestOwnerAllowed(t *testing.T) {
	withApprovers := config.Policy{Approval: config.Approval{Required: true, Approvers: "platform"}}
	anyTeam := config.Policy{Requesters: config.Requesters{AnyOwnerTeam: true}}
	tests := []struct {
		name                    string
		policy                  config.Policy
		inOwnerTeam, isApprover bool
		want                    bool
	}{
		{"default: a member of the owner team", config.DefaultPolicy(), true, false, true},
		{"default: not a member", config.DefaultPolicy(), false, false, false},
		{"no approvers team: approver flag ignored", config.DefaultPolicy(), false, true, false},
		{"an approver may name any team", withApprovers, false, true, true},
		{"neither member nor approver", withApprovers, false, false, false},
		{"anyOwnerTeam allows anyone", anyTeam, false, false, true},
	}
	for _, tt := range tests {
		if got := tt.policy.OwnerAllowed(tt.inOwnerTeam, tt.isApprover); got != tt.want {
			t.Errorf("%s: OwnerAllowed(%v, %v) = %v, want %v", tt.name, tt.inOwnerTeam, tt.isApprover, got, tt.want)
		}
	}
}
