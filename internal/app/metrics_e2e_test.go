package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// TestMetricsAfterEndToEndRun scrapes GET /metrics after a request and a
// rollout have gone through the real server, and checks that the series an
// operator alerts on exist, moved, and follow Prometheus' naming rules
// (promlint: _total counters, base units such as _seconds). docs/operations.md
// lists the same series.
func TestMetricsAfterEndToEndRun(t *testing.T) {
	w := newWorld(t, store.SQLite, nil)
	n := w.request(developer, goAnswers("payments-api"))
	w.wantCreated(n, "payments-api")
	if _, err := w.PublishVersion("go-service", "1.1.0", "- A runbook.", "platform-team", map[string][]byte{
		"skeleton/docs/runbook.md": []byte("# Runbook of {{ .name }}\n"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := sandbox.WaitFor(w.ctx, 60*time.Second, "the upgrade pull request", func() bool {
		for _, p := range w.Sim.PullRequests(org, "payments-api") {
			if p.State == "open" {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	w.settle()

	text, families := scrape(t, w.BotURL+"/metrics")
	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "goldenpath_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}

	inst := strconv.FormatInt(w.Installation, 10)
	tests := []struct {
		family string
		typ    dto.MetricType
		labels map[string]string
		check  func(v float64) bool
		want   string
	}{
		{"goldenpath_webhook_deliveries_total", dto.MetricType_COUNTER, map[string]string{"event": "issues", "outcome": "queued"}, atLeast(1), "≥ 1"},
		{"goldenpath_webhook_deliveries_total", dto.MetricType_COUNTER, map[string]string{"event": "push", "outcome": "queued"}, atLeast(1), "≥ 1"},
		{"goldenpath_jobs_total", dto.MetricType_COUNTER, map[string]string{"kind": "github_webhook", "outcome": "completed"}, atLeast(2), "≥ 2"},
		{"goldenpath_job_duration_seconds", dto.MetricType_HISTOGRAM, map[string]string{"kind": "github_webhook"}, atLeast(2), "≥ 2 observations"},
		{"goldenpath_job_wait_seconds", dto.MetricType_HISTOGRAM, map[string]string{"kind": "github_webhook"}, atLeast(2), "≥ 2 observations"},
		{"goldenpath_queue_jobs", dto.MetricType_GAUGE, map[string]string{"state": "completed"}, atLeast(2), "≥ 2"},
		{"goldenpath_queue_oldest_available_seconds", dto.MetricType_GAUGE, nil, atLeast(0), "present"},
		{"goldenpath_github_requests_total", dto.MetricType_COUNTER, map[string]string{"method": "POST", "route": "/orgs/{}/repos", "status": "201"}, equal(1), "1 repository created"},
		{"goldenpath_github_requests_total", dto.MetricType_COUNTER, map[string]string{"method": "POST", "route": "/repos/{}/{}/pulls", "status": "201"}, equal(1), "1 pull request opened"},
		{"goldenpath_github_request_duration_seconds", dto.MetricType_HISTOGRAM, map[string]string{"method": "GET"}, atLeast(1), "≥ 1 observation"},
		{"goldenpath_github_rate_limit_remaining", dto.MetricType_GAUGE, map[string]string{"installation": inst, "resource": "core"}, between(1, 4999), "spent some of 5000"},
		{"goldenpath_github_rate_limit_max", dto.MetricType_GAUGE, map[string]string{"installation": inst, "resource": "core"}, equal(5000), "5000"},
		{"goldenpath_fleet_repositories", dto.MetricType_GAUGE, map[string]string{"template": "go-service", "version": "1.0.0"}, equal(1), "1 repository on 1.0.0"},
		{"goldenpath_upgrade_pull_requests", dto.MetricType_GAUGE, map[string]string{"template": "go-service", "version": "1.1.0", "state": "open"}, equal(1), "1 open toward 1.1.0"},
		{"goldenpath_upgrade_rollouts_total", dto.MetricType_COUNTER, nil, atLeast(1), "≥ 1"},
	}
	for _, tt := range tests {
		f := families[tt.family]
		if f == nil {
			t.Errorf("%s is not exported", tt.family)
			continue
		}
		if f.GetType() != tt.typ {
			t.Errorf("%s is a %s, want a %s", tt.family, f.GetType(), tt.typ)
			continue
		}
		if v := sumMatching(f, tt.labels); !tt.check(v) {
			t.Errorf("%s%v = %v, want %s", tt.family, tt.labels, v, tt.want)
		}
	}
	if t.Failed() {
		t.Logf("GET /metrics:\n%s", grepLines(text, "goldenpath_"))
	}
}

func scrape(t *testing.T, url string) ([]byte, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return text, families
}

// sumMatching adds the value (a histogram's count) of every series whose
// labels include want.
func sumMatching(f *dto.MetricFamily, want map[string]string) float64 {
	var sum float64
series:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

func atLeast(n float64) func(float64) bool { return func(v float64) bool { return v >= n } }
func equal(n float64) func(float64) bool   { return func(v float64) bool { return v == n } }
func between(a, b float64) func(float64) bool {
	return func(v float64) bool { return v >= a && v <= b }
}

func grepLines(text []byte, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(l, prefix) {
			fmt.Fprintln(&b, l)
		}
	}
	return b.String()
}
