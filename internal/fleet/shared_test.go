package fleet_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// TestSharesTheQueueDatabase runs queue workers that write the fleet index
// while deliveries keep arriving, on one database handle: on SQLite that is
// a single connection, which must neither deadlock nor fail with "database
// is locked".
func TestSharesTheQueueDatabase(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, d)
			x, err := fleet.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			q, err := queue.Open(ctx, db, queue.Options{})
			if err != nil {
				t.Fatal(err)
			}
			const n = 100
			var wg sync.WaitGroup
			wg.Add(n)
			q.HandleWebhook("push", func(ctx context.Context, args queue.WebhookArgs) error {
				defer wg.Done()
				return x.Upsert(ctx, fleet.Repo{InstallationID: args.InstallationID, Owner: "acme", Name: args.DeliveryID, Template: "go-service", Version: "1.0.0"})
			})
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			for i := range n {
				go func() {
					if _, err := q.Enqueue(ctx, queue.WebhookArgs{DeliveryID: fmt.Sprintf("r%03d", i), Event: "push", InstallationID: 1, Payload: []byte(`{}`)}); err != nil {
						t.Error(err)
					}
				}()
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("jobs did not all run")
			}
			repos, err := x.ListByTemplate(ctx, "go-service")
			if err != nil || len(repos) != n {
				t.Fatalf("fleet holds %d repos, %v; want %d", len(repos), err, n)
			}
		})
	}
}
