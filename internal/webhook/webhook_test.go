package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/webhook"
)

const secret = "It's a Secret to Everybody"

// events are the events the tests' worker handles.
var events = []string{"issues", "push"}

func sign(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

type recorder struct {
	mu   sync.Mutex
	got  []queue.WebhookArgs
	err  error
	seen map[string]bool
}

func (r *recorder) Enqueue(ctx context.Context, args queue.WebhookArgs) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return false, r.err
	}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[args.DeliveryID] {
		return true, nil
	}
	r.seen[args.DeliveryID] = true
	r.got = append(r.got, args)
	return false, nil
}

func TestHandler(t *testing.T) {
	issues := []byte(`{"action":"opened","issue":{"number":1},"installation":{"id":42}}`)
	formBody := []byte("payload=" + url.QueryEscape(string(issues)))
	tests := []struct {
		name        string
		method      string
		event       string
		delivery    string
		contentType string
		body        []byte
		signature   string // "" → signed with the right secret
		enqueueErr  error
		wantStatus  int
		wantJob     bool
		wantAction  string
		wantInst    int64
	}{
		{name: "issue opened is queued", event: "issues", body: issues, wantStatus: 202, wantJob: true, wantAction: "opened", wantInst: 42},
		{name: "form-encoded delivery is queued", event: "issues", body: formBody, contentType: "application/x-www-form-urlencoded", wantStatus: 202, wantJob: true, wantAction: "opened", wantInst: 42},
		{name: "push without action", event: "push", body: []byte(`{"ref":"refs/tags/go-service/v1.2.0","installation":{"id":9}}`), wantStatus: 202, wantJob: true, wantInst: 9},
		{name: "ping answers 200", event: "ping", body: []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), wantStatus: 200},
		{name: "unknown event ignored", event: "star", body: []byte(`{"action":"created"}`), wantStatus: 202},
		{name: "event without a worker ignored", event: "create", body: []byte(`{"ref":"main","installation":{"id":9}}`), wantStatus: 202},
		{name: "wrong secret", event: "issues", body: issues, signature: sign("not the secret", issues), wantStatus: 401},
		{name: "missing signature", event: "issues", body: issues, signature: "none", wantStatus: 401},
		{name: "sha1 header form only", event: "issues", body: issues, signature: "sha1=" + strings.Repeat("0", 40), wantStatus: 401},
		{name: "non-hex signature", event: "issues", body: issues, signature: "sha256=zz", wantStatus: 401},
		{name: "signature of another body", event: "issues", body: issues, signature: sign(secret, []byte(`{}`)), wantStatus: 401},
		{name: "unknown event with bad signature is still 401", event: "star", body: issues, signature: sign("x", issues), wantStatus: 401},
		{name: "no delivery id", event: "issues", delivery: "-", body: issues, wantStatus: 400},
		{name: "not JSON", event: "issues", body: []byte(`{"action":`), wantStatus: 400},
		{name: "enqueue failure asks for redelivery", event: "issues", body: issues, enqueueErr: errors.New("database is locked"), wantStatus: 503},
		{name: "GET refused", method: http.MethodGet, event: "issues", body: nil, wantStatus: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			rec := &recorder{err: tc.enqueueErr}
			h, err := webhook.New(secret, events, rec, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if err != nil {
				t.Fatal(err)
			}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/api/github/webhooks", bytes.NewReader(tc.body))
			req.Header.Set("X-GitHub-Event", tc.event)
			delivery := tc.delivery
			if delivery == "" {
				delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
			} else if delivery == "-" {
				delivery = ""
			}
			req.Header.Set("X-GitHub-Delivery", delivery)
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			sig := tc.signature
			switch sig {
			case "":
				sig = sign(secret, tc.body)
			case "none":
				sig = ""
			}
			if sig != "" {
				req.Header.Set("X-Hub-Signature-256", sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantJob != (len(rec.got) == 1) {
				t.Fatalf("queued %d jobs, want job=%v", len(rec.got), tc.wantJob)
			}
			if tc.wantJob {
				j := rec.got[0]
				if j.DeliveryID != delivery || j.Event != tc.event || j.Action != tc.wantAction || j.InstallationID != tc.wantInst {
					t.Fatalf("queued %+v", j)
				}
				if !bytes.Equal(j.Payload, issues) && tc.event == "issues" {
					t.Fatalf("payload = %s, want the JSON document", j.Payload)
				}
			}
			if sig != "" && strings.Contains(logs.String(), strings.TrimPrefix(sig, "sha256=")) {
				t.Fatalf("logs contain the signature: %s", logs.String())
			}
			if strings.Contains(logs.String(), secret) {
				t.Fatalf("logs contain the secret")
			}
		})
	}
}

func TestBodyOverLimitIs413(t *testing.T) {
	rec := &recorder{}
	h, err := webhook.New(secret, events, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("a"), webhook.MaxBodyBytes+1)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", "big")
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", w.Code)
	}
	if len(rec.got) != 0 {
		t.Fatal("an oversized delivery was queued")
	}
}

func TestNewRefusesEmptySecret(t *testing.T) {
	if _, err := webhook.New("", events, &recorder{}, nil); err == nil {
		t.Fatal("New accepted an empty secret")
	}
	if _, err := webhook.New(secret, events, nil, nil); err == nil {
		t.Fatal("New accepted a nil enqueuer")
	}
	if _, err := webhook.New(secret, nil, &recorder{}, nil); err == nil {
		t.Fatal("New accepted no events")
	}
}

// TestRedeliveriesMakeOneJob posts the same delivery three times, then
// another twice at once, over HTTP into the real queue on SQLite.
func TestRedeliveriesMakeOneJob(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	q, err := queue.Open(ctx, db, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	h, err := webhook.New(secret, events, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(delivery string) int {
		body := []byte(`{"action":"opened","installation":{"id":1}}`)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "issues")
		req.Header.Set("X-GitHub-Delivery", delivery)
		req.Header.Set("X-Hub-Signature-256", sign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 3 {
		if s := post("one"); s != 202 {
			t.Fatalf("post %d: status %d", i, s)
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if s := post("two"); s != 202 {
				t.Errorf("concurrent post: status %d", s)
			}
		})
	}
	wg.Wait()
	jobs, err := q.Jobs(ctx, river.NewJobListParams().States(rivertype.JobStateAvailable).First(100))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, fmt.Sprint(j.Kind))
	}
	if len(jobs) != 2 {
		t.Fatalf("got %d jobs %v, want 2 (one per delivery)", len(jobs), ids)
	}
}

// readSpy fails the test if the handler reads the body.
type readSpy struct{ read bool }

func (r *readSpy) Read(p []byte) (int, error) {
	r.read = true
	return 0, errors.New("the body should not be read")
}

// TestUnsignedBodyIsNotRead: without a well-formed signature the handler
// answers 401 without reading a body of up to 25 MB.
func TestUnsignedBodyIsNotRead(t *testing.T) {
	h, err := webhook.New(secret, events, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []string{"", "sha256=", "sha256=abc", "sha1=" + strings.Repeat("0", 40), "sha256=" + strings.Repeat("z", 64)} {
		body := &readSpy{}
		req := httptest.NewRequest(http.MethodPost, "/", body)
		req.Header.Set("X-GitHub-Event", "issues")
		req.Header.Set("X-GitHub-Delivery", "d")
		req.Header.Set("X-Hub-Signature-256", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized || body.read {
			t.Errorf("signature %q: status %d, body read %v; want 401 unread", sig, w.Code, body.read)
		}
	}
}

// A delivery the relevance test turns down is answered 202 without a job;
// the test sees the fields of the payload it decides on.
func TestRelevantDecidesOnTheScope(t *testing.T) {
	var seen []webhook.Scope
	onlyMain := func(event string, s webhook.Scope) bool {
		seen = append(seen, s)
		return s.Ref == "refs/heads/"+s.DefaultBranch
	}
	rec := &recorder{}
	h, err := webhook.New(secret, []string{"push", "pull_request"}, rec, nil, webhook.WithRelevant(onlyMain))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		event, body string
		wantJob     bool
		want        webhook.Scope
	}{
		{"push", `{"ref":"refs/heads/main","repository":{"name":"payments","default_branch":"main"},"installation":{"id":3}}`, true,
			webhook.Scope{InstallationID: 3, Repo: "payments", DefaultBranch: "main", Ref: "refs/heads/main"}},
		{"push", `{"ref":"refs/heads/x","deleted":true,"repository":{"name":"payments","default_branch":"main"}}`, false,
			webhook.Scope{Repo: "payments", DefaultBranch: "main", Ref: "refs/heads/x", Deleted: true}},
		{"pull_request", `{"action":"opened","pull_request":{"head":{"ref":"goldenpath/upgrade-go"}},"repository":{"name":"p","default_branch":"main"}}`, false,
			webhook.Scope{Action: "opened", Repo: "p", DefaultBranch: "main", HeadRef: "goldenpath/upgrade-go"}},
	}
	for i, tc := range tests {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
		req.Header.Set("X-GitHub-Event", tc.event)
		req.Header.Set("X-GitHub-Delivery", fmt.Sprint("d", i))
		req.Header.Set("X-Hub-Signature-256", sign(secret, []byte(tc.body)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			t.Errorf("%d: status %d, want 202", i, w.Code)
		}
		if len(seen) != i+1 || seen[i] != tc.want {
			t.Errorf("%d: scope %+v, want %+v", i, seen[len(seen)-1], tc.want)
		}
		if queued := len(rec.got) > 0 && rec.got[len(rec.got)-1].DeliveryID == fmt.Sprint("d", i); queued != tc.wantJob {
			t.Errorf("%d: queued = %v, want %v", i, queued, tc.wantJob)
		}
	}
}
