package webhook_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/goldenpath-dev/goldenpath/internal/webhook"
)

// TestDeliveryOutcomes counts each kind of delivery under its outcome; an
// unsigned delivery's event is not trusted as a label.
func TestDeliveryOutcomes(t *testing.T) {
	rec := &recorder{}
	h, err := webhook.New(secret, events, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := h.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"action":"opened","installation":{"id":7}}`)
	post := func(event, delivery, sig string, payload []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", delivery)
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	post("issues", "d1", sign(secret, body), body)
	post("issues", "d1", sign(secret, body), body)
	post("star", "d2", sign(secret, body), body)
	post("issues-from-anyone", "d3", sign("wrong", body), body)
	post("issues", "d4", "", body)
	post("push", "d5", sign(secret, []byte("[")), []byte("["))
	rec.err = errors.New("database down")
	post("push", "d6", sign(secret, body), body)

	tests := []struct {
		event, outcome string
		want           float64
	}{
		{"issues", webhook.OutcomeQueued, 1},
		{"issues", webhook.OutcomeDuplicate, 1},
		{"star", webhook.OutcomeIgnored, 1},
		{"unverified", webhook.OutcomeRejected, 2},
		{"push", webhook.OutcomeBadRequest, 1},
		{"push", webhook.OutcomeError, 1},
	}
	for _, tt := range tests {
		if got := deliveries(t, reg, tt.event, tt.outcome); got != tt.want {
			t.Errorf("deliveries{event=%q, outcome=%q} = %v, want %v", tt.event, tt.outcome, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "goldenpath_webhook_deliveries_total"); n != len(tests) {
		t.Errorf("%d series, want %d (no label from an unsigned delivery)", n, len(tests))
	}
}

// deliveries reads goldenpath_webhook_deliveries_total{event, outcome}.
func deliveries(t *testing.T, reg *prometheus.Registry, event, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if f.GetName() == "goldenpath_webhook_deliveries_total" && labels["event"] == event && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
