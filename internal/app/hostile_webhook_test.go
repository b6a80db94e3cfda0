package app_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// webhooks posts each raw delivery to the server and checks its status and
// that nothing changed.
func (h *hostileRun) webhooks(cases []*hostileCase) {
	var sample githubsim.Delivery
	for _, d := range h.w.Sim.Deliveries() {
		if d.Event == "issues" && d.Action == "opened" {
			sample = d
		}
	}
	if sample.ID == "" {
		h.t.Fatal("no issues.opened delivery to tamper with")
	}
	client := &http.Client{Timeout: 2 * timeout}
	for i, c := range cases {
		h.t.Run(c.name, func(t *testing.T) {
			before := h.state()
			req := h.delivery(t, c.Webhook, sample, i)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("posting: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.Expect.Status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.Expect.Status)
			}
			if resp.StatusCode >= 500 {
				t.Errorf("a 5xx answer")
			}
			h.w.settle()
			h.unchanged(t, before)
		})
	}
}

// delivery builds the request of a webhook case.
func (h *hostileRun) delivery(t *testing.T, c *hostileWebhook, sample githubsim.Delivery, i int) *http.Request {
	t.Helper()
	if c.Payload == "replay" {
		req, err := h.w.Sim.DeliveryRequest(t.Context(), sample.ID, h.w.WebhookURL)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	body := []byte(c.Body)
	if c.Payload == "issue-opened" {
		body = sample.Payload
	}
	if n := c.Generate["size"]; n > 0 {
		body = append(append([]byte(`{"action":"opened","padding":"`), bytes.Repeat([]byte("x"), n)...), `"}`...)
	}
	if n := c.Generate["nested"]; n > 0 {
		body = []byte(`{"action":"opened","x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}")
	}
	method := c.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.w.WebhookURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ct := c.ContentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	event := c.Event
	if event == "" {
		event = "issues"
	}
	if !c.NoEventHeaders {
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("hostile-%d-%d", i, time.Now().UnixNano()))
	}
	sign := func(secret string, b []byte) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(b)
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	switch c.Signature {
	case "", "valid":
		req.Header.Set("X-Hub-Signature-256", sign(h.w.WebhookSecret, body))
	case "wrong":
		req.Header.Set("X-Hub-Signature-256", sign("not-the-secret", body))
	case "truncated":
		req.Header.Set("X-Hub-Signature-256", sign(h.w.WebhookSecret, body)[:7+32])
	case "garbage":
		req.Header.Set("X-Hub-Signature-256", "sha256=zz"+strings.Repeat("0", 62))
	case "other-body":
		req.Header.Set("X-Hub-Signature-256", sign(h.w.WebhookSecret, append([]byte(" "), body...)))
	case "sha1":
		mac := hmac.New(sha1.New, []byte(h.w.WebhookSecret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac.Sum(nil)))
	case "none":
	default:
		t.Fatalf("unknown signature %q", c.Signature)
	}
	return req
}
