package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// TestBurst sends 1,000 signed deliveries (real issue_comment payloads, each
// with its own X-GitHub-Delivery) at 50 at a time to `goldenpath serve` on
// SQLite: every one is answered 2xx within a second, and every one becomes a
// job that is worked — none lost. Not parallel: the answer times are the
// process's, not those of the package's other tests sharing two cores.
func TestBurst(t *testing.T) {
	const deliveries, concurrency, answerBound = 1000, 50, time.Second
	w := newFleetWorld(t, fleetOptions{dbURL: "sqlite://" + t.TempDir() + "/goldenpath.db", limits: unlimited, pacing: fastPacing})
	r := w.addReplica()
	w.install()
	payload := w.commentPayload()
	latencies := make([]time.Duration, deliveries)
	statuses := make([]int, deliveries)
	ids := make([]string, deliveries)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ids[i], latencies[i], statuses[i] = postDelivery(client, r.base(), "issue_comment", payload)
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

	db := openSQLite(t, w.dbURL)
	var worked int
	took := w.waitUntil(2*time.Minute, "every delivery worked", func() bool {
		worked = completedDeliveries(t, db, ids)
		return worked == deliveries
	})
	t.Logf("%d of %d deliveries worked, the last %s after the burst ended; lost: %d", worked, deliveries, took.Round(time.Millisecond), deliveries-worked)
	w.mu.Lock()
	w.stats.Direct = deliveries
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

// postDelivery signs and posts one delivery with a fresh delivery id, and
// returns the id, how long the answer took and its status (0: none).
func postDelivery(client *http.Client, base, event string, payload []byte) (string, time.Duration, int) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(payload)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/github/webhooks", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	if err != nil {
		return id, took, 0
	}
	resp.Body.Close()
	return id, took, resp.StatusCode
}

// openSQLite opens the process's SQLite database beside it (WAL: reading
// while it writes is fine).
func openSQLite(t *testing.T, dbURL string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// completedDeliveries counts the deliveries of ids whose job completed: the
// job of the group commit that stored it (which works its deliveries
// inline), or a job of the delivery's own (older versions, or work that
// failed inline and was retried).
func completedDeliveries(t *testing.T, db *store.DB, ids []string) int {
	t.Helper()
	rows, err := db.SQL.QueryContext(t.Context(), `SELECT value FROM river_job, json_each(river_job.args, '$.delivery_ids')
		WHERE kind = ? AND state = 'completed'
		UNION SELECT json_extract(args, '$.delivery_id') FROM river_job WHERE kind = ? AND state = 'completed'`,
		queue.DeliveryBatchKind, queue.WebhookKind)
	if err != nil {
		t.Fatalf("reading the jobs: %v", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("reading the jobs: %v", err)
		}
		done[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading the jobs: %v", err)
	}
	n := 0
	for _, id := range ids {
		if done[id] {
			n++
		}
	}
	return n
}
