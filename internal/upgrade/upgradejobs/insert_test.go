package upgradejobs

import (
	"context"
	"fmt"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// TestInsertUnique: jobs spanning several batches are all queued, and
// inserting them again (a redelivered event) adds only the new one.
func TestInsertUnique(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			sw := simworld.New(t, simworld.Options{Dialect: d})
			q, _ := bot(t, sw.DB, sw.Fleet, sw.App, sw.Installation, "goldenpath[bot]") // not started: jobs stay queued
			ctx := context.Background()
			jobs := make([]upgrade.RepoArgs, 2*insertBatch+3)
			for i := range jobs {
				jobs[i] = upgrade.RepoArgs{InstallationID: sw.Installation, Owner: simworld.Org, Repo: fmt.Sprintf("r%d", i), Tag: "svc/v1.1.0", Cause: "tag"}
			}
			if err := InsertUnique(ctx, q, jobs, "upgrade jobs"); err != nil {
				t.Fatal(err)
			}
			again := append(jobs, upgrade.RepoArgs{InstallationID: sw.Installation, Owner: simworld.Org, Repo: "new", Tag: "svc/v1.1.0", Cause: "tag"})
			if err := InsertUnique(ctx, q, again, "upgrade jobs"); err != nil {
				t.Fatal(err)
			}
			var n int
			err := sw.DB.SQL.QueryRowContext(ctx, sw.DB.Rebind("SELECT count(*) FROM river_job WHERE kind = ?"), upgrade.RepoArgs{}.Kind()).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(again) {
				t.Errorf("%d jobs queued, want %d (each repository once)", n, len(again))
			}
		})
	}
}
