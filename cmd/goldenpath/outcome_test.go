package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/request"
)

// outcome checks the exactly-once promise of SPEC §5 on the simulator's
// state and counters, and returns the figures for the report.
type outcome struct {
	Requests, Repositories, ClosedIssues, SuccessComments, UpgradePRs int
	Writes                                                            int
	// Creates counts create requests by object and answer: "repository
	// 2xx" took effect; "repository 4xx" was refused (an attempt after a
	// crash finds the repository its predecessor made: GitHub answers 422
	// and the request adopts it); 5xx ones failed or, with the
	// simulator's write-then-502 fault, took effect unanswered.
	Creates        map[string]int
	WritesByStatus map[string]int
}

func (w *fleetWorld) wantExactlyOnce(reqs map[int]string, upgraded bool) outcome {
	w.t.Helper()
	t := w.t
	o := outcome{Requests: len(reqs)}
	var want []string
	for _, name := range reqs {
		want = append(want, fleetOrg+"/"+name)
	}
	want = append(want, fleetOrg+"/golden-paths")
	slices.Sort(want)
	if got := w.sim.Repos(); !slices.Equal(got, want) {
		t.Errorf("repositories = %v, want exactly %v", got, want)
	}
	for n, name := range reqs {
		is, err := w.sim.Issue(fleetOrg, "golden-paths", n)
		if err != nil {
			t.Fatal(err)
		}
		if is.State == "closed" && slices.Contains(is.Labels, request.LabelCreated) {
			o.ClosedIssues++
		} else {
			t.Errorf("request #%d (%s) is %s with labels %v, want closed and %s", n, name, is.State, is.Labels, request.LabelCreated)
		}
		var bot []githubsim.CommentInfo
		for _, c := range w.sim.Comments(fleetOrg, "golden-paths", n) {
			if c.Author == w.sim.BotLogin() {
				bot = append(bot, c)
			}
		}
		if len(bot) == 1 && strings.Contains(bot[0].Body, fleetOrg+"/"+name) {
			o.SuccessComments++
		} else {
			t.Errorf("request #%d (%s) has %d bot comments, want one naming the repository: %+v", n, name, len(bot), bot)
		}
		if _, ok := w.sim.Repo(fleetOrg, name); ok {
			o.Repositories++
		}
		if !upgraded {
			continue
		}
		prs := openUpgradePRs(w.sim, name)
		all := w.sim.PullRequests(fleetOrg, name)
		if len(prs) == 1 && len(all) == 1 && prs[0].Title == "Upgrade go-service template to v1.1.0" {
			o.UpgradePRs++
		} else {
			t.Errorf("%s has pull requests %+v, want exactly one open %q", name, all, "Upgrade go-service template to v1.1.0")
		}
	}
	c := w.sim.Counts()
	o.Writes = c.Writes()
	w.mu.Lock()
	o.WritesByStatus, o.Creates = map[string]int{}, map[string]int{}
	for k, v := range w.statuses {
		o.WritesByStatus[k] = v
	}
	for k, v := range w.creates {
		o.Creates[k] = v
	}
	w.mu.Unlock()
	t.Logf("outcome: %+v; GitHub requests by route: %v", o, c.ByRoute)
	return o
}

// createKind names the user-visible object a request creates: the writes
// SPEC §5 promises never to make twice.
func createKind(method, path string) string {
	if method != http.MethodPost {
		return ""
	}
	p := strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v3"), "/"), "/")
	switch {
	case len(p) == 3 && p[0] == "orgs" && p[2] == "repos":
		return "repository"
	case len(p) == 4 && p[0] == "repos" && p[3] == "pulls":
		return "pull request"
	case len(p) == 6 && p[0] == "repos" && p[3] == "issues" && p[5] == "comments":
		return "comment"
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}
