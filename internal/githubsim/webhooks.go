package githubsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

type webhookConfig struct {
	url    string
	secret string
	hookID int64
}

// Delivery is one entry of the delivery log.
type Delivery struct {
	ID           string // X-GitHub-Delivery (kept by redeliveries)
	Event        string
	Action       string
	Installation int64
	Payload      []byte
	Redelivery   bool
	At           time.Time
	StatusCode   int // 0 when the request failed
	Error        string
	Latency      time.Duration
}

type hookJob struct {
	d      Delivery
	url    string
	secret string
	hookID int64
}

// hookQueue delivers in order on one goroutine that lives while there is work.
type hookQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []hookJob
	running bool
	pending int
}

func newHookQueue() *hookQueue {
	q := &hookQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// SetWebhook sets where deliveries go and the secret that signs them. An
// empty url stops deliveries (events are still logged with StatusCode 0).
func (s *Sim) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = webhookConfig{url: url, secret: secret, hookID: 271828}
}

// WaitDeliveries blocks until every queued delivery has been attempted.
func (s *Sim) WaitDeliveries() {
	q := s.hooks
	q.mu.Lock()
	for q.pending > 0 {
		q.cond.Wait()
	}
	q.mu.Unlock()
}

// Deliveries returns the delivery log, oldest first.
func (s *Sim) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	copy(out, s.deliveries)
	return out
}

// Redeliver sends a logged delivery again with the same X-GitHub-Delivery id.
func (s *Sim) Redeliver(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.deliveryIndex[id]
	if !ok {
		return fmt.Errorf("no delivery %q", id)
	}
	d := s.deliveries[i]
	d.Redelivery = true
	d.StatusCode, d.Error, d.Latency = 0, "", 0
	s.enqueue(d)
	return nil
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// enqueue logs d and queues it for delivery. Called with s.mu held.
func (s *Sim) enqueue(d Delivery) {
	if s.webhook.url == "" {
		return // no webhook configured: GitHub neither sends nor logs
	}
	d.At = s.now()
	s.deliveries = append(s.deliveries, d)
	idx := len(s.deliveries) - 1
	if !d.Redelivery {
		s.deliveryIndex[d.ID] = idx
	}
	job := hookJob{d: d, url: s.webhook.url, secret: s.webhook.secret, hookID: s.webhook.hookID}
	q := s.hooks
	q.mu.Lock()
	q.queue = append(q.queue, job)
	q.pending++
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go s.drain(idx)
	}
}

func (s *Sim) drain(int) {
	q := s.hooks
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		job := q.queue[0]
		q.queue = q.queue[1:]
		q.mu.Unlock()

		status, errText, lat := post(client, job)

		s.mu.Lock()
		// Record the outcome on the newest log entry for this id.
		for i := len(s.deliveries) - 1; i >= 0; i-- {
			if s.deliveries[i].ID == job.d.ID && s.deliveries[i].StatusCode == 0 && s.deliveries[i].Error == "" {
				s.deliveries[i].StatusCode, s.deliveries[i].Error, s.deliveries[i].Latency = status, errText, lat
				break
			}
		}
		s.mu.Unlock()

		q.mu.Lock()
		q.pending--
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

func post(client *http.Client, job hookJob) (int, string, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := newHookRequest(ctx, job)
	if err != nil {
		return 0, err.Error(), 0
	}
	start := time.Now()
	resp, err := client.Do(req)
	lat := time.Since(start)
	if err != nil {
		return 0, err.Error(), lat
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, "", lat
}

// fire builds and queues a delivery for an event on repository r (nil for
// installation events) if the App is installed on the owner. Called with s.mu held.
func (s *Sim) fire(event, action string, r *repo, sender *account, payload obj) {
	var owner *account
	if r != nil {
		owner = r.owner
		if _, ok := payload["repository"]; !ok {
			payload["repository"] = s.repoJSON(r)
		}
	}
	if owner == nil {
		return
	}
	in := s.instByAcc[strings.ToLower(owner.login)]
	if in == nil {
		return
	}
	s.fireFor(in, event, action, sender, payload)
}

func (s *Sim) fireFor(in *installation, event, action string, sender *account, payload obj) {
	if action != "" {
		payload["action"] = action
	}
	if in.account.typ == "Organization" {
		payload["organization"] = s.orgJSON(in.account)
	}
	if _, ok := payload["installation"]; !ok {
		payload["installation"] = obj{"id": in.id, "node_id": nodeID("Installation", in.id)}
	}
	if sender == nil {
		sender = s.accounts[strings.ToLower(s.BotLogin())]
	}
	payload["sender"] = s.userJSON(sender)
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("encoding a webhook payload: %v", err))
	}
	s.enqueue(Delivery{ID: newGUID(), Event: event, Action: action, Installation: in.id, Payload: b})
}

func (s *Sim) orgJSON(a *account) obj {
	u := s.base + "/orgs/" + a.login
	return obj{"login": a.login, "id": a.id, "node_id": nodeID("Organization", a.id), "url": u,
		"repos_url": u + "/repos", "events_url": u + "/events", "hooks_url": u + "/hooks", "issues_url": u + "/issues",
		"members_url": u + "/members{/member}", "public_members_url": u + "/public_members{/member}",
		"avatar_url": fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", a.id), "description": nil}
}

func (s *Sim) fireInstallation(in *installation, action string, sender *account) {
	repos := []any{}
	for _, k := range sortedKeys(s.repos) {
		r := s.repos[k]
		if r.owner == in.account {
			repos = append(repos, obj{"id": r.id, "node_id": nodeID("Repository", r.id), "name": r.name, "full_name": r.fullName(), "private": r.private})
		}
	}
	inst := s.installationJSON(in)
	s.fireFor(in, "installation", action, sender, obj{"installation": inst, "repositories": repos, "requester": nil})
}

// AddInstallationRepos fires installation_repositories.added for existing
// repositories of an installed account (GitHub sends it when repositories
// are added to a selected-repositories installation).
func (s *Sim) AddInstallationRepos(acct string, names ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.instByAcc[strings.ToLower(acct)]
	if in == nil {
		return fmt.Errorf("the App is not installed on %q", acct)
	}
	added := []any{}
	for _, n := range names {
		r := s.repos[strings.ToLower(acct+"/"+n)]
		if r == nil {
			return fmt.Errorf("no repository %s/%s", acct, n)
		}
		added = append(added, obj{"id": r.id, "node_id": nodeID("Repository", r.id), "name": r.name, "full_name": r.fullName(), "private": r.private})
	}
	s.fireFor(in, "installation_repositories", "added", in.account, obj{"installation": s.installationJSON(in), "repository_selection": "selected",
		"repositories_added": added, "repositories_removed": []any{}, "requester": nil})
	return nil
}

// DeliveryRequest builds the signed HTTP request of a logged delivery (same
// id, headers and signature as the original, with the current secret), for
// tests that post it themselves, e.g. concurrently.
func (s *Sim) DeliveryRequest(ctx context.Context, id, url string) (*http.Request, error) {
	s.mu.Lock()
	i, ok := s.deliveryIndex[id]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("no delivery %q", id)
	}
	job := hookJob{d: s.deliveries[i], url: url, secret: s.webhook.secret, hookID: s.webhook.hookID}
	s.mu.Unlock()
	return newHookRequest(ctx, job)
}

func newHookRequest(ctx context.Context, job hookJob) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.url, bytes.NewReader(job.d.Payload))
	if err != nil {
		return nil, fmt.Errorf("building the delivery request: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(job.secret))
	mac.Write(job.d.Payload)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/a1b2c3d")
	req.Header.Set("X-GitHub-Event", job.d.Event)
	req.Header.Set("X-GitHub-Delivery", job.d.ID)
	req.Header.Set("X-GitHub-Hook-ID", strconv.FormatInt(job.hookID, 10))
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", "314159")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return req, nil
}
