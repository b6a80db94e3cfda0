package upgrade

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
)

// repositoryEvent is a repository webhook payload for acme/name (the new
// name and owner, as GitHub sends them) with changes.
func repositoryEvent(t *testing.T, action, name string, changes map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"action":     action,
		"changes":    changes,
		"repository": map[string]any{"name": name, "full_name": org + "/" + name, "default_branch": "main", "owner": map[string]any{"login": org, "type": "Organization"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRepositoryEvents(t *testing.T) {
	from := func(kind, login string) map[string]any {
		return map[string]any{"owner": map[string]any{"from": map[string]any{kind: map[string]any{"login": login}}}}
	}
	tests := []struct {
		name    string
		before  []string // fleet entries owner/name before the event
		payload func(t *testing.T) []byte
		want    []string // in the fleet afterwards
		gone    []string // not in the fleet afterwards
	}{
		{"transferred from an organization", []string{"oldco/svc"},
			func(t *testing.T) []byte {
				return repositoryEvent(t, "transferred", "svc", from("organization", "oldco"))
			},
			[]string{"acme/svc"}, []string{"oldco/svc"}},
		{"transferred from a user", []string{"bob/svc", "acme/other"},
			func(t *testing.T) []byte { return repositoryEvent(t, "transferred", "svc", from("user", "bob")) },
			[]string{"acme/svc", "acme/other"}, []string{"bob/svc"}},
		// The installation cannot see acme/unseen (404): the old entry still leaves.
		{"transferred out of sight", []string{"oldco/unseen"},
			func(t *testing.T) []byte {
				return repositoryEvent(t, "transferred", "unseen", from("organization", "oldco"))
			},
			nil, []string{"oldco/unseen", "acme/unseen"}},
		// GitHub's own example: octocat's Hello-World moved to Octocoders.
		{"transferred, GitHub's example payload", []string{"octocat/Hello-World"},
			func(t *testing.T) []byte { return exampleRepositoryEvent(t, "transferred") },
			nil, []string{"octocat/Hello-World", "Octocoders/Hello-World"}},
		{"unarchived", nil,
			func(t *testing.T) []byte { return repositoryEvent(t, "unarchived", "svc", nil) },
			[]string{"acme/svc"}, nil},
		{"archived", []string{"acme/svc"},
			func(t *testing.T) []byte { return repositoryEvent(t, "archived", "svc", nil) },
			nil, []string{"acme/svc"}},
		{"deleted", []string{"acme/svc", "acme/other"},
			func(t *testing.T) []byte { return repositoryEvent(t, "deleted", "svc", nil) },
			[]string{"acme/other"}, []string{"acme/svc"}},
		{"renamed", []string{"acme/old"},
			func(t *testing.T) []byte {
				return repositoryEvent(t, "renamed", "svc", map[string]any{"repository": map[string]any{"name": map[string]any{"from": "old"}}})
			},
			[]string{"acme/svc"}, []string{"acme/old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
			wd.scaffold("svc", "1.0.0", skeletonV1)
			wd.seen = len(wd.sim.Deliveries()) // the scaffold push is not what is tested
			for _, full := range tt.before {
				owner, name, _ := strings.Cut(full, "/")
				if err := wd.fleet.Upsert(wd.ctx, fleet.Repo{InstallationID: wd.inst, Owner: owner, Name: name, Template: "svc", Version: "0.9.0", DefaultBranch: "main"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := wd.w.HandleEvent(wd.ctx, "repository", "d1", wd.inst, tt.payload(t)); err != nil {
				t.Fatal(err)
			}
			for _, full := range tt.want {
				owner, name, _ := strings.Cut(full, "/")
				if _, err := wd.fleet.Get(wd.ctx, owner, name); err != nil {
					t.Errorf("%s is not in the fleet: %v", full, err)
				}
			}
			for _, full := range tt.gone {
				owner, name, _ := strings.Cut(full, "/")
				if r, err := wd.fleet.Get(wd.ctx, owner, name); err == nil {
					t.Errorf("%s stayed in the fleet: %+v", full, r)
				}
			}
			// acme/svc, when in the fleet, was read from its answers file.
			if r, err := wd.fleet.Get(wd.ctx, org, "svc"); err == nil && r.Version != "1.0.0" {
				t.Errorf("acme/svc at version %q, want its answers file's 1.0.0", r.Version)
			}
		})
	}
}

// exampleRepositoryEvent is the first repository example of action in
// @octokit/webhooks-examples (GitHub's documented payloads).
func exampleRepositoryEvent(t *testing.T, action string) []byte {
	t.Helper()
	for _, ex := range simworld.WebhookExamples(t, "repository") {
		var head struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(ex, &head); err == nil && head.Action == action {
			return ex
		}
	}
	t.Fatalf("no repository.%s example", action)
	return nil
}
