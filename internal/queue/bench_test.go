package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
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

// realSizedPayload is a payload of the size and shape of the issues.opened
// example bench/run posts (11.7 KB): mostly URLs and ids of the repository,
// the issue and the users, and the text.
func realSizedPayload() json.RawMessage {
	r := rand.New(rand.NewPCG(1, 2))
	urls := map[string]any{}
	for i := range 90 {
		urls[fmt.Sprintf("url_%d", i)] = fmt.Sprintf("https://api.github.com/repos/Codertocat/Hello-World/%x/{/number}", r.Uint64())
	}
	words := strings.Fields("the a of spelling error in README file please fix it thanks when running build fails with")
	var body strings.Builder
	for body.Len() < 3000 {
		body.WriteString(words[r.IntN(len(words))] + " ")
	}
	p, err := json.Marshal(map[string]any{
		"action":       "opened",
		"issue":        map[string]any{"number": 1, "title": "Spelling error in the README file", "body": body.String(), "urls": urls},
		"repository":   map[string]any{"name": "Hello-World", "full_name": "Codertocat/Hello-World", "default_branch": "main"},
		"installation": map[string]any{"id": 7},
	})
	if err != nil {
		panic(err)
	}
	return p
}
