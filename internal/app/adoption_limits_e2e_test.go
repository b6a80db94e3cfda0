package app_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// repoRequests counts the requests the bot sends about each repository
// (paths under /repos/<org>/<name>/), by repository and route.
type repoRequests struct {
	mu     sync.Mutex
	byRepo map[string][]string
}

func (c *repoRequests) wrap(next http.Handler) http.Handler {
	prefix := "/api/v3/repos/" + org + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, prefix); ok {
			name, route, _ := strings.Cut(rest, "/")
			if route == "contents/.goldenpath.yml" {
				// The upgrade workflow's look at a pushed default branch
				// (the setup's pushes), not the adoption's.
				next.ServeHTTP(w, r)
				return
			}
			c.mu.Lock()
			c.byRepo[name] = append(c.byRepo[name], r.Method+" "+routeShape(route))
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// routeShape drops the ids of a repository route: git/trees/<sha> → git/trees.
func routeShape(route string) string {
	parts := strings.Split(route, "/")
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, "/")
}

// TestTopicAdoptionUnderLimits adopts the 30 repositories that carry a
// topic under low secondary rate limits and goldenpath.yaml's prHourlyLimit,
// with every window scaled from an hour to two seconds (as the rollout
// benchmark scales them): 30 pull requests, no rate-limit violation, never
// more pull requests opened in a window than the limit allows. It also
// measures what one adopted repository costs in GitHub requests: the same
// fixed handful for every repository, whatever the number of files the
// template adds (text files travel inline in the one tree).
func TestTopicAdoptionUnderLimits(t *testing.T) {
	const (
		repos  = 30
		hourly = 10
		hour   = 2 * time.Second
		minute = hour / 60 * 4 // GitHub's minute is 1/60 of its hour; a little wider here for a loaded machine
	)
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		counted := &repoRequests{byRepo: map[string][]string{}}
		policy := []byte(fmt.Sprintf("upgrades:\n  prHourlyLimit: %d\n", hourly))
		w := newWorld(t, d, policy, func(o *sandbox.Options) {
			o.Sim.Limits = githubsim.Limits{ContentPerMinute: 40, ContentPerHour: 2000, MinuteWindow: minute, HourWindow: hour * 30, PrimaryPerHour: 100000}
			o.Policy.Pacing = github.Pacing{MinGap: time.Millisecond, Windows: []github.WindowLimit{{N: 40, Per: minute}, {N: 2000, Per: hour * 30}}}
			o.UpgradeHour = hour
			inner := o.Handler
			o.Handler = func(h http.Handler) http.Handler { return counted.wrap(inner(h)) }
		})
		start := time.Now()
		for i := range repos {
			name := fmt.Sprintf("svc-%02d", i)
			w.existingRepo(name, "Service number "+name+" of the payments platform.", []string{"payments"}, map[string]string{
				"README.md": "# " + name + "\n", ".github/CODEOWNERS": "* @acme/" + team + "\n",
			})
		}
		if err := w.Sim.CreateRepo(org, "archived-svc", githubsim.RepoOptions{Topics: []string{"payments"}, Archived: true}); err != nil {
			t.Fatal(err)
		}
		w.existingRepo("unrelated", "Not tagged with the topic at all.", []string{"other"}, map[string]string{"README.md": "# unrelated\n"})

		w.settle()
		counted.mu.Lock()
		counted.byRepo = map[string][]string{} // what the adoption costs, not the setup
		counted.mu.Unlock()
		setup := time.Since(start)
		n := w.fileAdoption([]string{"topic:payments"}, map[string]any{"system": "payments"})
		w.settleAdoption(n)
		t.Logf("setup %s, adoption %s", setup.Round(time.Millisecond), (time.Since(start) - setup).Round(time.Millisecond))

		opened := 0
		for i := range repos {
			prs := w.Sim.PullRequests(org, fmt.Sprintf("svc-%02d", i))
			if len(prs) != 1 || !strings.HasPrefix(prs[0].Title, "Adopt the go-service golden path") {
				t.Errorf("svc-%02d has pull requests %+v, want one adoption", i, prs)
				continue
			}
			opened++
		}
		if len(w.Sim.PullRequests(org, "unrelated")) != 0 || len(w.Sim.PullRequests(org, "archived-svc")) != 0 {
			t.Error("a repository without the topic, or archived, got a pull request")
		}
		if opened != repos {
			t.Fatalf("%d adoption pull requests, want %d", opened, repos)
		}
		// prHourlyLimit: in no window of an "hour" more than the limit.
		times, err := w.App.Fleet.UpgradePRsOpenedSince(w.ctx, org, time.Time{})
		if err != nil || len(times) != repos {
			t.Fatalf("the fleet index recorded %d openings (%v), want %d", len(times), err, repos)
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		for i := range times {
			in := 0
			for j := i; j < len(times) && times[j].Sub(times[i]) < hour; j++ {
				in++
			}
			if in > hourly {
				t.Errorf("%d pull requests opened within one window from %s, over prHourlyLimit %d", in, times[i].Format("15:04:05.000"), hourly)
			}
		}
		w.wantOneComment(n, "done", "acme/svc-00#1", "acme/svc-29#1")
		// The fleet dashboard shows the adoption's progress (a batched refresh).
		var dashboard string
		err = sandbox.WaitFor(w.ctx, 2*timeout, "the dashboard to show the adoption", func() bool {
			for _, is := range w.Sim.Issues(org, w.TemplatesRepo) {
				if is.Title == "Golden path fleet" {
					dashboard = is.Body
				}
			}
			return strings.Contains(dashboard, fmt.Sprintf("| acme/golden-paths#%d | `go-service` | %d | 0 | %d | 0 |", n, repos, repos))
		})
		if err != nil {
			t.Errorf("%v:\n%s", err, dashboard)
		}

		// Requests per adopted repository: the same for each, and a fixed
		// set of routes (no request per file).
		want := []string{"GET commits/main", "GET git/trees", "GET git/blobs", "GET pulls", "GET git/commits", "POST git/trees", "POST git/commits", "POST git/refs", "POST pulls", "POST issues/1"}
		sort.Strings(want)
		for i := range repos {
			got := append([]string(nil), counted.byRepo[fmt.Sprintf("svc-%02d", i)]...)
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("svc-%02d cost %d requests %v, want the %d %v", i, len(got), got, len(want), want)
			}
		}
		t.Logf("GitHub requests per adopted repository: %d (%v)", len(want), want)
		w.closeUnmerged(n, "svc-00")
	})
}

// closeUnmerged closes repo's adoption pull request #1 without merging: the
// issue's row says so, the pull request says what follows, nothing reopens it.
func (w *world) closeUnmerged(n int, repo string) {
	t := w.t
	t.Helper()
	if err := w.Sim.ClosePR(org, repo, 1, developer); err != nil {
		t.Fatal(err)
	}
	w.settle()
	err := sandbox.WaitFor(w.ctx, 2*timeout, "the comment to say "+repo+"'s adoption was closed", func() bool {
		cs := w.botComments(n)
		return len(cs) == 1 && strings.Contains(cs[0].Body, "acme/"+repo+"#1: pull request #1 was closed without merging")
	})
	if err != nil {
		t.Error(err)
	}
	var said []string
	for _, c := range w.Sim.Comments(org, repo, 1) {
		said = append(said, c.Body)
	}
	if len(said) != 1 || !strings.Contains(said[0], "will not propose adopting") {
		t.Errorf("the closed adoption pull request's comments: %q", said)
	}
	if prs := w.Sim.PullRequests(org, repo); len(prs) != 1 || prs[0].State != "closed" {
		t.Errorf("%s's pull requests after the close: %+v", repo, prs)
	}
}
