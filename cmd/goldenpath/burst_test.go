package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBurst sends 1,000 signed deliveries (real issue_comment payloads, each
// with its own X-GitHub-Delivery) at 50 at a time to `goldenpath serve` on
// SQLite: every one is answered 2xx within a second, and every one becomes a
// job that is worked — none lost.
func TestBurst(t *testing.T) {
	t.Parallel()
	const deliveries, concurrency, answerBound = 1000, 50, time.Second
	w := newFleetWorld(t, fleetOptions{dbURL: "sqlite://" + t.TempDir() + "/goldenpath.db", limits: unlimited, pacing: fastPacing})
	r := w.addReplica()
	w.install()
	payload := w.commentPayload()
	// The simulator's own deliveries so far (installation, the issue, the
	// comment) are worked first, so that the count below is the burst's.
	var before int
	w.waitUntil(time.Minute, "the simulator's deliveries worked", func() bool {
		acked := 0
		for _, d := range w.sim.Deliveries() {
			if d.StatusCode/100 == 2 {
				acked++
			}
		}
		before = jobsCompleted(t, r.base())
		return before >= acked
	})

	latencies := make([]time.Duration, deliveries)
	statuses := make([]int, deliveries)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				latencies[i], statuses[i] = postDelivery(client, r.base(), "issue_comment", payload)
			}
		}()
	}
	for i := range deliveries {
		next <- i
	}
	close(next)
	wg.Wait()
	sent := time.Since(start)

	accepted, slow := 0, 0
	for i, st := range statuses {
		if st/100 == 2 {
			accepted++
		} else {
			t.Errorf("delivery %d answered %d", i, st)
		}
		if latencies[i] >= answerBound {
			slow++
		}
	}
	sorted := slices.Sorted(slices.Values(latencies))
	p := func(q float64) time.Duration { return sorted[int(q*float64(len(sorted)-1))].Round(time.Millisecond) }
	t.Logf("%d deliveries at concurrency %d in %s: %d answered 2xx; latency p50 %s, p99 %s, max %s; %d at or over %s",
		deliveries, concurrency, sent.Round(time.Millisecond), accepted, p(0.5), p(0.99), p(1), slow, answerBound)
	if slow > 0 {
		t.Errorf("%d deliveries took %s or more to answer, want none", slow, answerBound)
	}

	var worked int
	took := w.waitUntil(2*time.Minute, "every delivery worked", func() bool {
		worked = jobsCompleted(t, r.base()) - before
		return worked >= deliveries
	})
	t.Logf("%d of %d deliveries worked, the last %s after the burst ended; lost: %d", worked, deliveries, took.Round(time.Millisecond), deliveries-worked)
	if worked != deliveries {
		t.Errorf("%d jobs worked, want exactly %d", worked, deliveries)
	}
	w.mu.Lock()
	w.stats.Burst = fmt.Sprintf("%d signed deliveries at concurrency %d: %d answered 2xx (p50 %s, p99 %s, max %s; %d at or over %s), %d worked, %d lost",
		deliveries, concurrency, accepted, p(0.5), p(0.99), p(1), slow, answerBound, worked, deliveries-worked)
	w.mu.Unlock()
	report(t, "burst (sqlite)", w, outcome{})
}

// commentPayload has the simulator send a real issue_comment.created (a
// thank-you on an ordinary issue, which the bot reads and leaves alone) and
// returns its payload.
func (w *fleetWorld) commentPayload() []byte {
	w.t.Helper()
	n, err := w.sim.OpenIssue(fleetOrg, "golden-paths", fleetDev, "Question", "How do I request a service?", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.sim.Comment(fleetOrg, "golden-paths", n, fleetDev, "Thanks!"); err != nil {
		w.t.Fatal(err)
	}
	w.sim.WaitDeliveries()
	ds := w.sim.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Event == "issue_comment" {
			return ds[i].Payload
		}
	}
	w.t.Fatal("the simulator sent no issue_comment delivery")
	return nil
}

// postDelivery signs and posts one delivery with a fresh delivery id.
func postDelivery(client *http.Client, base, event string, payload []byte) (time.Duration, int) {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(payload)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/github/webhooks", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", hex.EncodeToString(id))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	if err != nil {
		return took, 0
	}
	resp.Body.Close()
	return took, resp.StatusCode
}

// jobsCompleted reads goldenpath_jobs_total{kind="github_webhook",
// outcome="completed"} from the process's /metrics.
func jobsCompleted(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "goldenpath_jobs_total{") && strings.Contains(line, `kind="github_webhook"`) && strings.Contains(line, `outcome="completed"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("reading %q: %v", line, err)
			}
			return int(v)
		}
	}
	return 0
}
