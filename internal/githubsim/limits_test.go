package githubsim_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

func TestSecondaryLimit(t *testing.T) {
	e := newEnv(t, githubsim.Options{Limits: githubsim.Limits{ContentPerMinute: 3, ContentPerHour: 5, MinuteWindow: 300 * time.Millisecond, HourWindow: 20 * time.Second}})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	n, _ := e.sim.OpenIssue("acme", "svc", "alice", "t", "", nil)
	comment := func() error {
		_, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String("x")})
		return err
	}
	for i := 0; i < 3; i++ {
		if err := comment(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if len(e.sim.Violations()) != 0 {
		t.Fatal("violation before the limit")
	}
	err := comment()
	abuse, ok := err.(*github.AbuseRateLimitError)
	if !ok || abuse.Response.StatusCode != 403 || abuse.RetryAfter == nil || *abuse.RetryAfter <= 0 {
		t.Fatalf("4th write in a minute: %T %v", err, err)
	}
	// Reads are not content-creating.
	// (go-github blocks a client after a secondary limit, so use another one.)
	if _, _, err := instClient(t, e.sim, e.srv.URL, e.instID).Issues.Get(ctx(t), "acme", "svc", n); err != nil {
		t.Fatalf("read during a secondary limit: %v", err)
	}
	time.Sleep(*abuse.RetryAfter + 50*time.Millisecond)
	for i := 0; i < 2; i++ {
		if err := comment(); err != nil {
			t.Fatalf("write after the minute window %d: %v", i, err)
		}
	}
	// Hourly: 5 successful writes so far.
	if _, ok := comment().(*github.AbuseRateLimitError); !ok {
		t.Fatal("6th write within the hour window was accepted")
	}
	v := e.sim.Violations()
	if len(v) != 2 || v[0].Kind != "secondary-minute" || v[1].Kind != "secondary-hour" || v[0].Installation != e.instID {
		t.Fatalf("violations %+v", v)
	}
	if got := len(e.sim.Comments("acme", "svc", n)); got != 5 {
		t.Fatalf("%d comments, want 5", got)
	}
}

func TestConcurrentLimit(t *testing.T) {
	e := newEnv(t, githubsim.Options{Limits: githubsim.Limits{Concurrent: 2}})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetFaults([]githubsim.Fault{{Method: "GET", Pattern: "/repos/{owner}/{repo}", Rate: 1, Kind: githubsim.Slow, Delay: 300 * time.Millisecond}})
	var wg sync.WaitGroup
	codes := make(chan int, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 50 * time.Millisecond)
			_, resp, _ := e.gh.Repositories.Get(ctx(t), "acme", "svc")
			codes <- resp.StatusCode
		}(i)
	}
	wg.Wait()
	close(codes)
	forbidden := 0
	for c := range codes {
		if c == 403 {
			forbidden++
		}
	}
	if forbidden != 1 || len(e.sim.Violations()) != 1 || e.sim.Violations()[0].Kind != "concurrent" {
		t.Fatalf("403s %d, violations %+v", forbidden, e.sim.Violations())
	}
}

func TestPrimaryLimitAndETag(t *testing.T) {
	e := newEnv(t, githubsim.Options{Limits: githubsim.Limits{PrimaryPerHour: 3}})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	_, resp, err := e.gh.Repositories.Get(ctx(t), "acme", "svc")
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Rate.Limit != 3 || resp.Rate.Remaining != 2 || resp.Header.Get("X-RateLimit-Resource") != "core" {
		t.Fatalf("etag %q rate %+v", etag, resp.Rate)
	}
	for i := 0; i < 5; i++ {
		req, _ := e.gh.NewRequest("GET", "repos/acme/svc", nil)
		req.Header.Set("If-None-Match", etag)
		resp, err := e.gh.Do(ctx(t), req, nil)
		if resp == nil || resp.StatusCode != http.StatusNotModified {
			t.Fatalf("conditional GET: %v %v", resp, err)
		}
		if resp.Rate.Remaining != 2 {
			t.Fatalf("304 counted against the primary limit: remaining %d", resp.Rate.Remaining)
		}
	}
	for i := 0; i < 2; i++ {
		if _, _, err := e.gh.Repositories.Get(ctx(t), "acme", "svc"); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh client does not know the budget is spent, so it asks.
	_, _, err = instClient(t, e.sim, e.srv.URL, e.instID).Repositories.Get(ctx(t), "acme", "svc")
	if _, ok := err.(*github.RateLimitError); !ok {
		t.Fatalf("over the primary limit: %T %v", err, err)
	}
	if v := e.sim.Violations(); len(v) != 1 || v[0].Kind != "primary" {
		t.Fatalf("violations %+v", v)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, githubsim.Options{Seed: 7})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	n, _ := e.sim.OpenIssue("acme", "svc", "alice", "t", "", nil)
	// The write happens, the answer is a 502.
	e.sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments", Nth: 1, Kind: githubsim.AfterWrite502}})
	_, resp, err := e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String("x")})
	if err == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("want a 502, got %v", err)
	}
	if got := len(e.sim.Comments("acme", "svc", n)); got != 1 {
		t.Fatalf("the write did not take effect: %d comments", got)
	}
	if _, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String("y")}); err != nil {
		t.Fatalf("Nth=1 fired again: %v", err)
	}
	// A plain 5xx does nothing.
	e.sim.SetFaults([]githubsim.Fault{{Pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments", Nth: 1, Kind: githubsim.Error5xx, Status: 503}})
	_, resp, _ = e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String("z")})
	if resp.StatusCode != 503 || len(e.sim.Comments("acme", "svc", n)) != 2 {
		t.Fatalf("503 fault: status %d, comments %d", resp.StatusCode, len(e.sim.Comments("acme", "svc", n)))
	}
	// Random faults are reproducible for a seed.
	pattern := func(seed int64) string {
		e := newEnv(t, githubsim.Options{Seed: seed})
		_ = e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{})
		e.sim.SetFaults([]githubsim.Fault{{Method: "GET", Pattern: "/repos/{owner}/{repo}", Rate: 0.5, Kind: githubsim.Error5xx}})
		out := ""
		for i := 0; i < 20; i++ {
			_, resp, _ := e.gh.Repositories.Get(ctx(t), "acme", "svc")
			out += strconv.Itoa(resp.StatusCode / 100)
		}
		return out
	}
	a, b := pattern(42), pattern(42)
	if a != b || a == "22222222222222222222" || a == "55555555555555555555" {
		t.Fatalf("seeded faults: %s vs %s", a, b)
	}
}

func TestWebhooks(t *testing.T) {
	const secret = "s3cret"
	rcv := &hookReceiver{}
	hook := httptest.NewServer(rcv.handler(secret))
	defer hook.Close()
	e := newEnv(t, githubsim.Options{})
	e.sim.SetWebhook(hook.URL, secret)
	if err := e.sim.CreateRepo("acme", "tpl", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	sha, _ := e.sim.Push("acme", "tpl", "main", map[string][]byte{"a": []byte("1")}, "init", "alice")
	_ = e.sim.Tag("acme", "tpl", "go-service/v1.0.0", sha)
	n, _ := e.sim.OpenIssue("acme", "tpl", "alice", "New service", "body", nil)
	if _, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "tpl", n, &github.IssueComment{Body: github.String("bot says hi")}); err != nil {
		t.Fatal(err)
	}
	e.sim.WaitDeliveries()
	checkHookEvents(t, rcv.received, []string{"push", "create", "push", "create", "issues", "issue_comment"})
	opened := rcv.received[4]
	checkIssuesDelivery(t, e, opened, n)
	checkBotCommentDelivery(t, e, rcv.received[5])
	var push map[string]any
	_ = json.Unmarshal(rcv.received[2].body, &push)
	if push["ref"] != "refs/tags/go-service/v1.0.0" || push["after"] != sha {
		t.Fatalf("tag push %v %v", push["ref"], push["after"])
	}
	checkRedelivery(t, e, rcv, opened, hook.URL)
	// A wrong secret fails the receiver's check.
	e.sim.SetWebhook(hook.URL, "other")
	_, _ = e.sim.Comment("acme", "tpl", n, "bob", "hello")
	e.sim.WaitDeliveries()
	if l := e.sim.Deliveries(); l[len(l)-1].StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad signature accepted: %d", l[len(l)-1].StatusCode)
	}
	sig := hmac.New(sha256.New, []byte(secret))
	sig.Write(opened.body)
	if opened.header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(sig.Sum(nil)) {
		t.Fatal("signature")
	}
}

// hookDelivery is one webhook delivery as TestWebhooks's receiver got it.
type hookDelivery struct {
	event, id string
	header    http.Header
	body      []byte
}

// hookReceiver records the deliveries whose signature checks out with the
// secret; it refuses the others with 401, as a receiver should. received is
// read without mu once the simulator's deliveries are waited for.
type hookReceiver struct {
	mu       sync.Mutex
	received []hookDelivery
}

func (rcv *hookReceiver) handler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, err := github.ValidatePayload(r, []byte(secret))
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		rcv.mu.Lock()
		rcv.received = append(rcv.received, hookDelivery{github.WebHookType(r), github.DeliveryID(r), r.Header.Clone(), payload})
		rcv.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
}

// checkHookEvents checks the event types delivered, in order.
func checkHookEvents(t *testing.T, received []hookDelivery, want []string) {
	t.Helper()
	var events []string
	for _, g := range received {
		events = append(events, g.event)
	}
	if len(events) != len(want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("events %v, want %v", events, want)
		}
	}
}

// checkIssuesDelivery checks the headers and payload of the delivery for
// issue n being opened.
func checkIssuesDelivery(t *testing.T, e *env, opened hookDelivery, n int) {
	t.Helper()
	for _, h := range []string{"X-GitHub-Hook-ID", "X-GitHub-Hook-Installation-Target-ID"} {
		if opened.header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if opened.header.Get("X-GitHub-Hook-Installation-Target-Type") != "integration" || opened.header.Get("User-Agent")[:16] != "GitHub-Hookshot/" {
		t.Errorf("headers %v", opened.header)
	}
	ev, err := github.ParseWebHook("issues", opened.body)
	if err != nil {
		t.Fatal(err)
	}
	ie := ev.(*github.IssuesEvent)
	if ie.GetAction() != "opened" || ie.GetInstallation().GetID() != e.instID || ie.GetSender().GetLogin() != "alice" ||
		ie.GetRepo().GetFullName() != "acme/tpl" || ie.GetIssue().GetNumber() != n || !strings.Contains(string(opened.body), `"organization":{`) {
		t.Fatalf("issues event %+v", ie)
	}
}

// checkBotCommentDelivery checks that the bot's own comment is sent by the
// bot and names the App that made it.
func checkBotCommentDelivery(t *testing.T, e *env, d hookDelivery) {
	t.Helper()
	ce, _ := github.ParseWebHook("issue_comment", d.body)
	var raw struct {
		Comment struct {
			Via struct {
				ID int64 `json:"id"`
			} `json:"performed_via_github_app"`
		} `json:"comment"`
	}
	if json.Unmarshal(d.body, &raw) != nil || raw.Comment.Via.ID != e.sim.AppID() {
		t.Fatal("the bot's comment does not name the App in performed_via_github_app")
	}
	if ce.(*github.IssueCommentEvent).GetSender().GetLogin() != e.sim.BotLogin() {
		t.Fatal("the bot's own comment is not sent by the bot")
	}
}

// checkRedelivery redelivers opened and posts it again by hand, checking
// both keep its id and that the delivery log records them.
func checkRedelivery(t *testing.T, e *env, rcv *hookReceiver, opened hookDelivery, hookURL string) {
	t.Helper()
	// Redelivery keeps the id; the log records status and latency.
	log := e.sim.Deliveries()
	if log[4].StatusCode != http.StatusAccepted || log[4].Latency <= 0 {
		t.Fatalf("log entry %s %d %v", log[4].Event, log[4].StatusCode, log[4].Latency)
	}
	if err := e.sim.Redeliver(opened.id); err != nil {
		t.Fatal(err)
	}
	e.sim.WaitDeliveries()
	last := rcv.received[len(rcv.received)-1]
	if last.id != opened.id || string(last.body) != string(opened.body) {
		t.Fatalf("redelivery id %s, want %s", last.id, opened.id)
	}
	if l := e.sim.Deliveries(); len(l) != 7 || !l[6].Redelivery || l[6].ID != opened.id || l[6].StatusCode != 202 {
		t.Fatalf("log after redelivery: %d entries, last %s %v %d", len(l), l[len(l)-1].ID, l[len(l)-1].Redelivery, l[len(l)-1].StatusCode)
	}
	// Tests can post a logged delivery themselves, signed the same way.
	req, err := e.sim.DeliveryRequest(ctx(t), opened.id, hookURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("posting a delivery request: %v %v", resp, err)
	}
	resp.Body.Close()
	if last := rcv.received[len(rcv.received)-1]; last.id != opened.id {
		t.Fatalf("posted delivery id %s", last.id)
	}
}

// A known call sequence gives known counts.
func TestCountsExact(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "tpl", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	n, _ := e.sim.OpenIssue("acme", "tpl", "alice", "t", "", nil)
	if _, _, err := e.gh.Issues.Get(ctx(t), "acme", "tpl", n); err != nil { // also mints a token
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "tpl", n, &github.IssueComment{Body: github.String("x")}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, _ = e.gh.Repositories.Get(ctx(t), "acme", "nope")
	req, _ := e.gh.NewRequest("GET", "unknown/route", nil)
	_, _ = e.gh.Do(ctx(t), req, nil)
	c := e.sim.Counts()
	want := map[string]int{
		"POST /app/installations/{installation_id}/access_tokens":   1,
		"GET /repos/{owner}/{repo}/issues/{issue_number}":           1,
		"POST /repos/{owner}/{repo}/issues/{issue_number}/comments": 2,
		"GET /repos/{owner}/{repo}":                                 1,
	}
	if len(c.ByRoute) != len(want) || c.Total != 5 || c.ByInstallation[e.instID] != 4 || c.Writes() != 3 {
		t.Fatalf("counts %+v", c)
	}
	for k, v := range want {
		if c.ByRoute[k] != v {
			t.Fatalf("%s: %d, want %d (all: %v)", k, c.ByRoute[k], v, c.ByRoute)
		}
	}
	_ = io.EOF
}
