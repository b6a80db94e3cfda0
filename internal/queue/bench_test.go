package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

var seq atomic.Int64

// BenchmarkEnqueueSQLite compares webhook intake with group commit against
// one transaction per delivery, with 64 concurrent senders as under a burst
// of deliveries, for a token payload and one the size of a real
// issues.opened delivery (11.7 KB). No HTTP and no workers: bench/run
// measures the server as a whole.
//
//	go test -run '^$' -bench EnqueueSQLite ./internal/queue/
func BenchmarkEnqueueSQLite(b *testing.B) {
	for _, bc := range []struct {
		mode    string
		payload json.RawMessage
	}{
		{"group-commit/payload=44B", delivery("").Payload},
		{"group-commit/payload=11.7KB", realSizedPayload()},
		{"insert-per-delivery/payload=44B", delivery("").Payload},
	} {
		mode := strings.Split(bc.mode, "/")[0]
		b.Run(bc.mode, func(b *testing.B) {
			db := storetest.Open(b, store.SQLite)
			q, err := queue.Open(context.Background(), db, queue.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Stop(context.Background())
			ctx := context.Background()
			b.SetParallelism(64)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					args := delivery(fmt.Sprintf("b-%d", seq.Add(1)))
					args.Payload = bc.payload
					var err error
					if mode == "group-commit" {
						_, err = q.Enqueue(ctx, args)
					} else {
						_, err = q.Insert(ctx, args, &river.InsertOpts{})
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// realSizedPayload is an issues.opened-shaped payload of about 11.7 KB, the
// size of @octokit/webhooks-examples' (its issue body and URLs dominate).
func realSizedPayload() json.RawMessage {
	body := strings.Repeat("A paragraph of the issue's description, as people write them. ", 150)
	p, err := json.Marshal(map[string]any{
		"action": "opened",
		"issue": map[string]any{"number": 1, "title": "Spelling error in the README file", "body": body,
			"labels": []map[string]any{{"name": "bug", "color": "d73a4a"}}},
		"repository":   map[string]any{"name": "Hello-World", "full_name": "Codertocat/Hello-World", "default_branch": "main"},
		"installation": map[string]any{"id": 7},
	})
	if err != nil {
		panic(err)
	}
	return p
}
