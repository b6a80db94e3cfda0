package fleetscan_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/fleetscan"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// counting records every request's method, path and status (installation
// tokens aside).
type counting struct {
	mu   sync.Mutex
	seen []string
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && !strings.HasSuffix(r.URL.Path, "/access_tokens") {
		c.mu.Lock()
		c.seen = append(c.seen, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, resp.StatusCode))
		c.mu.Unlock()
	}
	return resp, err
}

func (c *counting) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.seen
	c.seen = nil
	return out
}

// TestScanOfAnUnchangedFleet: the drift scan of 100 repositories whose
// trees did not change costs nothing but 100 conditional reads answered
// 304; a changed repository costs one full tree read and shows its drift.
func TestScanOfAnUnchangedFleet(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			w := simworld.New(t, simworld.Options{Dialect: d})
			w.Sim.AddTeam(simworld.Org, "team-pay", "alice")
			w.Publish("1.0.0", simworld.SkeletonV1, "## 1.0.0\n")
			const n = 100
			var repos []fleet.Repo
			for i := range n {
				name := fmt.Sprintf("svc-%03d", i)
				owner := "team-pay"
				if i == 0 {
					owner = "team-gone"
				}
				w.Scaffold(name, "1.0.0", simworld.SkeletonV1, template.Answers{"name": name, "owner": owner}, "alice")
				r := fleet.Repo{InstallationID: w.Installation, Owner: simworld.Org, Name: name, Template: "svc", Version: "1.0.0", DefaultBranch: "main"}
				if err := w.Fleet.Upsert(ctx, r); err != nil {
					t.Fatal(err)
				}
				repos = append(repos, r)
			}
			tr := &counting{}
			app, err := github.NewApp(github.AppConfig{AppID: w.Sim.AppID(), PrivateKeyPEM: w.Sim.AppPrivateKeyPEM(), BaseURL: w.URL, Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			gh := app.Installation(w.Installation)
			s := &fleetscan.Scanner{Fleet: w.Fleet, Templates: templatesrc.New(templatesrc.Options{})}
			scanAll := func() map[string]fleetscan.Result {
				out := map[string]fleetscan.Result{}
				for i, r := range repos {
					got, res, err := s.Scan(ctx, gh, r, simworld.Org, "golden-paths")
					if err != nil {
						t.Fatalf("scanning %s: %v", r.Name, err)
					}
					repos[i], out[r.Name] = got, res
				}
				return out
			}

			// The first scan reads everything and records the owners.
			for name, res := range scanAll() {
				if len(res.Drifted) != 0 || res.Err != "" {
					t.Errorf("%s: %+v, want no drift", name, res)
				}
			}
			tr.take()
			if rec, _ := w.Fleet.Get(ctx, simworld.Org, "svc-001"); rec.Ownership.Team != "team-pay" || !rec.Ownership.HasTeam() {
				t.Errorf("svc-001's owner: %+v", rec.Ownership)
			}
			if rec, _ := w.Fleet.Get(ctx, simworld.Org, "svc-000"); rec.Ownership.TeamID != fleet.NoTeam {
				t.Errorf("svc-000's owner is no team, recorded %+v", rec.Ownership)
			}

			// Unchanged: 100 conditional reads answered 304, nothing else.
			scanAll()
			seen := tr.take()
			for _, s := range seen {
				if !strings.HasPrefix(s, "GET ") || !strings.Contains(s, "/git/trees/") || !strings.HasSuffix(s, " 304") {
					t.Errorf("an unchanged fleet's scan sent %s", s)
				}
			}
			if len(seen) != n {
				t.Errorf("an unchanged fleet's scan sent %d requests, want %d conditional reads", len(seen), n)
			}

			// One repository's README edited: one full tree read, its drift.
			if _, err := w.Sim.Push(simworld.Org, "svc-042", "main", map[string][]byte{"README.md": []byte("# mine\n")}, "edit", "alice"); err != nil {
				t.Fatal(err)
			}
			res := scanAll()
			if got := res["svc-042"].Drifted; len(got) != 1 || got[0] != "README.md" {
				t.Errorf("svc-042 drifted %v, want [README.md]", got)
			}
			full := 0
			for _, s := range tr.take() {
				if !strings.HasSuffix(s, " 304") {
					full++
					if !strings.Contains(s, "/repos/acme/svc-042/git/trees/") {
						t.Errorf("unexpected request %s", s)
					}
				}
			}
			if full != 1 {
				t.Errorf("%d requests beyond 304s, want the changed repository's tree read", full)
			}
		})
	}
}
