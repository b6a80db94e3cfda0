package queue_test

import (
	"context"
	"fmt"
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
// of deliveries:
//
//	go test -run '^$' -bench EnqueueSQLite ./internal/queue/
func BenchmarkEnqueueSQLite(b *testing.B) {
	for _, mode := range []string{"group-commit", "insert-per-delivery"} {
		b.Run(mode, func(b *testing.B) {
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
