package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastPolicy keeps the tests quick; each case overrides what it exercises.
func fastPolicy() Policy {
	return Policy{
		Timeout:          2 * time.Second,
		BaseBackoff:      5 * time.Millisecond,
		MaxBackoff:       20 * time.Millisecond,
		MaxRateLimitWait: 3 * time.Second,
		EventualBackoff:  5 * time.Millisecond,
		Pacing:           Pacing{MinGap: time.Millisecond},
	}.withDefaults()
}

func newTestTransport(p Policy, logs io.Writer) *transport {
	if logs == nil {
		logs = io.Discard
	}
	return &transport{
		next:    http.DefaultTransport,
		policy:  p,
		limiter: newLimiter(),
		metrics: NewMetrics(nil),
		logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		inst:    7,
	}
}

// step is one scripted answer of the fake server.
type step struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
}

// script answers the n-th request with steps[n] (the last step repeats) and counts requests.
type script struct {
	mu     sync.Mutex
	steps  []step
	n      int
	bodies []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	st := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	if st.delay > 0 {
		select {
		case <-time.After(st.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	if st.status == 0 {
		st.status = http.StatusOK
	}
	w.WriteHeader(st.status)
	io.WriteString(w, st.body)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func TestTransportRetries(t *testing.T) {
	secondaryBody := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`
	in := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	tests := []struct {
		name       string
		method     string
		path       string
		safe       bool // mark the request retry-safe
		wroteRepo  string
		steps      []step
		policy     func(*Policy)
		wantStatus int
		wantErr    error
		wantCalls  int
		minElapsed time.Duration
		maxElapsed time.Duration
	}{
		{name: "GET 502 then 200 is retried", method: "GET", path: "/repos/o/r",
			steps: []step{{status: 502}, {status: 502}, {status: 200}}, wantStatus: 200, wantCalls: 3},
		{name: "GET keeps failing: bounded", method: "GET", path: "/repos/o/r",
			steps: []step{{status: 503}}, wantStatus: 503, wantCalls: 4},
		{name: "POST 502 is never re-sent blindly", method: "POST", path: "/orgs/o/repos",
			steps: []step{{status: 502}, {status: 201}}, wantStatus: 502, wantCalls: 1},
		{name: "PATCH 500 is not re-sent", method: "PATCH", path: "/repos/o/r/issues/1",
			steps: []step{{status: 500}, {status: 200}}, wantStatus: 500, wantCalls: 1},
		{name: "POST marked safe (git object) is re-sent", method: "POST", path: "/repos/o/r/git/trees", safe: true,
			steps: []step{{status: 502}, {status: 201}}, wantStatus: 201, wantCalls: 2},
		{name: "PUT is idempotent: re-sent", method: "PUT", path: "/repos/o/r/topics",
			steps: []step{{status: 500}, {status: 200}}, wantStatus: 200, wantCalls: 2},
		{name: "422 is final", method: "POST", path: "/orgs/o/repos",
			steps: []step{{status: 422, body: `{"message":"Validation Failed"}`}}, wantStatus: 422, wantCalls: 1},
		{name: "permission 403 is final", method: "GET", path: "/repos/o/r",
			steps: []step{{status: 403, body: `{"message":"Resource not accessible by integration"}`}}, wantStatus: 403, wantCalls: 1},
		{name: "secondary limit with retry-after: wait, then even a POST is re-sent", method: "POST", path: "/repos/o/r/issues/1/comments",
			steps:      []step{{status: 403, header: map[string]string{"Retry-After": "1"}, body: secondaryBody}, {status: 201}},
			wantStatus: 201, wantCalls: 2, minElapsed: time.Second},
		{name: "429 retry-after 0", method: "GET", path: "/repos/o/r",
			steps: []step{{status: 429, header: map[string]string{"Retry-After": "0"}}, {status: 200}}, wantStatus: 200, wantCalls: 2},
		{name: "retry-after beyond the bound: fail at once", method: "GET", path: "/repos/o/r",
			steps: []step{{status: 429, header: map[string]string{"Retry-After": "3600"}}}, wantStatus: 429, wantCalls: 1, maxElapsed: time.Second},
		{name: "secondary limit without headers waits a minute: beyond the bound", method: "POST", path: "/repos/o/r/issues/1/comments",
			steps: []step{{status: 403, body: secondaryBody}}, wantStatus: 403, wantCalls: 1, maxElapsed: time.Second},
		{name: "rate limit retries are bounded", method: "GET", path: "/repos/o/r",
			steps: []step{{status: 429, header: map[string]string{"Retry-After": "0"}}}, wantStatus: 429, wantCalls: 4},
		{name: "primary limit spent, reset soon: wait and retry", method: "GET", path: "/repos/o/r",
			steps:      []step{{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": in(time.Second)}, body: `{"message":"API rate limit exceeded"}`}, {status: 200}},
			wantStatus: 200, wantCalls: 2, minElapsed: 700 * time.Millisecond},
		{name: "primary limit spent for long: clear failure", method: "GET", path: "/repos/o/r",
			steps:      []step{{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": in(time.Hour)}, body: `{"message":"API rate limit exceeded"}`}},
			wantStatus: 403, wantCalls: 1, maxElapsed: time.Second},
		{name: "GET 404 right after the repository was created: eventual consistency", method: "GET", path: "/repos/o/new/git/ref/heads/main", wroteRepo: "/repos/o/new",
			steps: []step{{status: 404}, {status: 404}, {status: 200}}, wantStatus: 200, wantCalls: 3},
		{name: "409 empty repository right after create, safe POST", method: "POST", path: "/repos/o/new/git/trees", safe: true, wroteRepo: "/repos/o/new",
			steps: []step{{status: 409, body: `{"message":"Git Repository is empty."}`}, {status: 201}}, wantStatus: 201, wantCalls: 2},
		{name: "DELETE 404 right after the create is an answer, not lag", method: "DELETE", path: "/repos/o/new/issues/1/labels/x", wroteRepo: "/repos/o/new",
			steps: []step{{status: 404}, {status: 200}}, wantStatus: 404, wantCalls: 1},
		{name: "404 with no recent write is final", method: "GET", path: "/repos/o/other",
			steps: []step{{status: 404}, {status: 200}}, wantStatus: 404, wantCalls: 1},
		{name: "404 for another repository than the one written", method: "GET", path: "/repos/o/other", wroteRepo: "/repos/o/new",
			steps: []step{{status: 404}, {status: 200}}, wantStatus: 404, wantCalls: 1},
		{name: "eventual retries are bounded", method: "GET", path: "/repos/o/new", wroteRepo: "/repos/o/new",
			steps: []step{{status: 404}}, wantStatus: 404, wantCalls: 4},
		{name: "attempt timeout on a GET: retried", method: "GET", path: "/repos/o/r",
			policy: func(p *Policy) { p.Timeout = 100 * time.Millisecond },
			steps:  []step{{delay: time.Second}, {status: 200}}, wantStatus: 200, wantCalls: 2},
		{name: "attempt timeout on a POST: not re-sent", method: "POST", path: "/orgs/o/repos",
			policy: func(p *Policy) { p.Timeout = 100 * time.Millisecond },
			steps:  []step{{delay: time.Second}, {status: 201}}, wantErr: context.DeadlineExceeded, wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &script{steps: tc.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			p := fastPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			tr := newTestTransport(p, nil)
			if tc.wroteRepo != "" {
				tr.limiter.touch(tc.wroteRepo)
			}
			ctx := context.Background()
			if tc.safe {
				ctx = retrySafe(ctx)
			}
			var body io.Reader
			if tc.method != "GET" {
				body = strings.NewReader(`{"x":1}`)
			}
			req, _ := http.NewRequestWithContext(ctx, tc.method, srv.URL+tc.path, body)
			start := time.Now()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			elapsed := time.Since(start)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("status = %d, want %d (%s)", resp.StatusCode, tc.wantStatus, b)
				}
				if tc.steps[min(s.count(), len(tc.steps))-1].body != string(b) {
					t.Errorf("body = %q, want the last answer's body intact", b)
				}
			}
			if got := s.count(); got != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tc.wantCalls)
			}
			for i, b := range s.bodies {
				if tc.method != "GET" && b != `{"x":1}` {
					t.Errorf("attempt %d sent body %q, want the full body again", i+1, b)
				}
			}
			if elapsed < tc.minElapsed {
				t.Errorf("took %s, want at least %s (the wait)", elapsed, tc.minElapsed)
			}
			if tc.maxElapsed > 0 && elapsed > tc.maxElapsed {
				t.Errorf("took %s, want at most %s", elapsed, tc.maxElapsed)
			}
		})
	}
}

func TestTransportPrimaryLimitRemembered(t *testing.T) {
	s := &script{steps: []step{{status: 200, header: map[string]string{
		"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	hc := &http.Client{Transport: newTestTransport(fastPolicy(), nil)}
	resp, err := hc.Get(srv.URL + "/repos/o/r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-RateLimit-Reset") != "" {
		t.Errorf("reset header passed to go-github; the middleware should own the wait")
	}
	_, err = hc.Get(srv.URL + "/repos/o/r")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("second request error = %v, want ErrRateLimited", err)
	}
	if s.count() != 1 {
		t.Errorf("server saw %d requests, want 1: a spent limit is not spent again", s.count())
	}
}

func TestTransportConnectionRefused(t *testing.T) {
	// A closed port: the request never reaches a server, so even a POST is re-sent.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := newTestTransport(fastPolicy(), nil)
	req, _ := http.NewRequest("POST", "http://"+addr+"/orgs/o/repos", strings.NewReader("{}"))
	_, err = (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		t.Fatal("want an error from a closed port")
	}
	if got := counterValue(tr.metrics.retries.WithLabelValues("connection")); got != 3 {
		t.Errorf("connection retries = %v, want 3", got)
	}
}

func TestTransportWaitHonoursContext(t *testing.T) {
	s := &script{steps: []step{{status: 429, header: map[string]string{"Retry-After": "2"}}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/repos/o/r", nil)
	start := time.Now()
	_, err := (&http.Client{Transport: newTestTransport(fastPolicy(), nil)}).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the context's deadline", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("returned after %s; the wait should end with the context", time.Since(start))
	}
}

func TestPacingSerialWithGap(t *testing.T) {
	const gap = 40 * time.Millisecond
	var inFlight, maxInFlight atomic.Int32
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		if r.Method != "GET" {
			starts = append(starts, time.Now())
		}
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		w.WriteHeader(201)
	}))
	defer srv.Close()
	p := fastPolicy()
	p.Pacing = Pacing{MinGap: gap, Burst: 1, Windows: []WindowLimit{{N: 4, Per: 300 * time.Millisecond}}}
	tr := newTestTransport(p, nil)
	// Two clients of one installation share the limiter, as App.Installation's do.
	tr2 := *tr
	clients := []*http.Client{{Transport: tr}, {Transport: &tr2}}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", srv.URL+"/repos/o/r/issues/1/comments", strings.NewReader("{}"))
			resp, err := clients[i%2].Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	// Reads are not paced.
	resp, err := clients[0].Get(srv.URL + "/repos/o/r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wg.Wait()
	if len(starts) != 6 {
		t.Fatalf("server saw %d writes, want 6", len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if d := starts[i].Sub(starts[i-1]); d < gap-2*time.Millisecond {
			t.Errorf("writes %d and %d started %s apart, want at least %s", i, i+1, d, gap)
		}
	}
	// At most 4 writes in any 300ms: the 5th starts 300ms after the 1st.
	if d := starts[4].Sub(starts[0]); d < 300*time.Millisecond-2*time.Millisecond {
		t.Errorf("5th write %s after the 1st, want at least 300ms (window of 4)", d)
	}
	if got := counterValue(tr.metrics.waits.WithLabelValues("pacing")); got <= 0 {
		t.Errorf("pacing wait metric = %v, want > 0", got)
	}
}

func TestSecondaryLimitPausesOtherWrites(t *testing.T) {
	var first atomic.Bool
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		if first.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(201)
	}))
	defer srv.Close()
	tr := newTestTransport(fastPolicy(), nil)
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", srv.URL+"/repos/o/r/labels", strings.NewReader("{}"))
			resp, err := hc.Do(req)
			if err == nil {
				resp.Body.Close()
			}
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if len(starts) != 3 {
		t.Fatalf("server saw %d writes, want 3", len(starts))
	}
	for i, s := range starts[1:] {
		if d := s.Sub(starts[0]); d < time.Second-10*time.Millisecond {
			t.Errorf("write %d sent %s after the 429, want after its retry-after of 1s", i+2, d)
		}
	}
}

func TestTransportMetricsAndLogs(t *testing.T) {
	s := &script{steps: []step{{status: 200, body: "[]"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var logs bytes.Buffer
	tr := newTestTransport(fastPolicy(), &logs)
	req, _ := http.NewRequest("GET", srv.URL+"/repos/acme/api/issues/12/comments?per_page=100", nil)
	req.Header.Set("Authorization", "token ghs_SECRET")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := counterValue(tr.metrics.requests.WithLabelValues("GET", "/repos/{}/{}/issues/{}/comments", "200")); got != 1 {
		t.Errorf("requests_total for the route = %v, want 1", got)
	}
	out := logs.String()
	for _, want := range []string{"method=GET", "status=200", "path=/repos/acme/api/issues/12/comments", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q: %s", want, out)
		}
	}
	if strings.Contains(out, "SECRET") || strings.Contains(out, "per_page") {
		t.Errorf("log carries the token or the query: %s", out)
	}
}

func TestRoute(t *testing.T) {
	tests := map[string]string{
		"/repos/acme/api":                                                  "/repos/{}/{}",
		"/repos/acme/issues/issues/3/comments":                             "/repos/{}/{}/issues/{}/comments",
		"/repos/acme/api/issues/comments/99":                               "/repos/{}/{}/issues/comments/{}",
		"/repos/acme/api/git/refs/heads/goldenpath/x":                      "/repos/{}/{}/git/refs/{+}",
		"/repos/acme/api/git/matching-refs/tags/go/v":                      "/repos/{}/{}/git/matching-refs/{+}",
		"/repos/acme/api/contents/.github/workflows/ci.y":                  "/repos/{}/{}/contents/{+}",
		"/repos/acme/api/tarball/0123456789abcdef0123456789abcdef01234567": "/repos/{}/{}/tarball/{+}",
		"/repos/acme/api/git/trees":                                        "/repos/{}/{}/git/trees",
		"/orgs/acme/teams/team-pay/repos/acme/api":                         "/orgs/{}/teams/{}/repos/{}/{}",
		"/orgs/acme/teams/team-pay/memberships/alice":                      "/orgs/{}/teams/{}/memberships/{}",
		"/orgs/acme/members/alice":                                         "/orgs/{}/members/{}",
		"/app/installations/42/access_tokens":                              "/app/installations/{}/access_tokens",
		"/repos/acme/api/issues/4/labels/goldenpath:created":               "/repos/{}/{}/issues/{}/labels/{}",
		"/app": "/app",
		"/acme/api/legacy.tar.gz/refs/heads/main": "/{download}",
		"/_codeload/k3y": "/{download}",
		"/graphql":       "/graphql",
		"/api/graphql":   "/graphql",
	}
	for in, want := range tests {
		if got := route(in); got != want {
			t.Errorf("route(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPacingBurst: the first Burst writes of a quiet installation go without
// waiting for the gap; the next one waits for it (here an hour, so it is
// still waiting when its context ends), and the windows hold whatever the
// burst allows.
func TestPacingBurst(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	defer srv.Close()
	tests := []struct {
		name   string
		pacing Pacing
		prompt int // writes sent without waiting
	}{
		{"burst of 3", Pacing{MinGap: time.Hour, Burst: 3, Windows: []WindowLimit{{N: 100, Per: time.Hour}}}, 3},
		{"no burst", Pacing{MinGap: time.Hour, Burst: 1, Windows: []WindowLimit{{N: 100, Per: time.Hour}}}, 1},
		{"window smaller than the burst", Pacing{MinGap: time.Nanosecond, Burst: 20, Windows: []WindowLimit{{N: 2, Per: time.Hour}}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fastPolicy()
			p.Pacing = tt.pacing
			client := &http.Client{Transport: newTestTransport(p, nil)}
			post := func(timeout time.Duration) error {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/repos/o/r/issues/1/comments", strings.NewReader("{}"))
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				return err
			}
			for i := range tt.prompt {
				// Generous: a write that waited for the pacer would wait an hour.
				if err := post(time.Minute); err != nil {
					t.Fatalf("write %d of the burst: %v", i+1, err)
				}
			}
			if err := post(50 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("write %d after the burst: %v, want it still waiting for the pacer", tt.prompt+1, err)
			}
		})
	}
}
