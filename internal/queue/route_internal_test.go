package queue

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// TestFanOutIsUnique: a fan-out retried (its job failed after inserting)
// adds no second job for any workflow: the jobs are unique by delivery and
// workflow.
func TestFanOutIsUnique(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			q, err := Open(ctx, storetest.Open(t, d), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.Stop(ctx) })
			h := func(context.Context, job.Delivery) error { return nil }
			plan, err := Plan(job.Route{Workflow: "upgrade", Events: []string{"push"}, Handle: h}, job.Route{Workflow: "request", Events: []string{"push"}, Handle: h})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Route(plan); err != nil {
				t.Fatal(err)
			}
			a := WebhookArgs{DeliveryID: "d-1", Event: "push", InstallationID: 7, Payload: json.RawMessage(`{}`)}
			for range 2 {
				if err := q.fanOut(ctx, a, []string{"upgrade", "request"}); err != nil {
					t.Fatal(err)
				}
			}
			other := a
			other.DeliveryID = "d-2"
			if err := q.fanOut(ctx, other, []string{"upgrade"}); err != nil {
				t.Fatal(err)
			}
			jobs, err := q.Jobs(ctx, river.NewJobListParams().Kinds(WorkflowKind).States(rivertype.JobStateAvailable).First(10))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, j := range jobs {
				var w WorkflowArgs
				if err := json.Unmarshal(j.EncodedArgs, &w); err != nil {
					t.Fatal(err)
				}
				seen[w.DeliveryID+"/"+w.Workflow]++
			}
			if len(jobs) != 3 || seen["d-1/upgrade"] != 1 || seen["d-1/request"] != 1 || seen["d-2/upgrade"] != 1 {
				t.Errorf("jobs %v, want one per delivery and workflow", seen)
			}
		})
	}
}
