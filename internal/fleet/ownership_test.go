package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

func TestOwnership(t *testing.T) {
	forEachDialect(t, func(t *testing.T, x *fleet.Index, _ *store.DB) {
		ctx := context.Background()
		pay := fleet.Ownership{Team: "team-pay", TeamID: 11, System: "payments", Lifecycle: "production", Answers: `{"owner":"team-pay"}`}
		// Recorded before the repository is in the index (the request
		// workflow's record may come second): the row is added.
		if err := x.SetOwnership(ctx, fleet.Repo{InstallationID: 1, Owner: "acme", Name: "api", Template: "go-service", Version: "1.0.0", DefaultBranch: "main", Ownership: pay}); err != nil {
			t.Fatal(err)
		}
		// Upsert keeps the ownership; SetOwnership keeps the rest.
		if err := x.Upsert(ctx, fleet.Repo{InstallationID: 1, Owner: "acme", Name: "api", Template: "go-service", Version: "1.1.0", DefaultBranch: "main"}); err != nil {
			t.Fatal(err)
		}
		for _, r := range []fleet.Repo{
			{InstallationID: 1, Owner: "acme", Name: "web", Template: "go-service", Version: "1.0.0", Ownership: fleet.Ownership{Team: "team-pay"}},
			{InstallationID: 1, Owner: "acme", Name: "ops", Template: "go-service", Version: "1.0.0", Ownership: fleet.Ownership{Team: "team-ops", TeamID: 12}},
			{InstallationID: 2, Owner: "other", Name: "api", Template: "go-service", Version: "1.0.0", Ownership: fleet.Ownership{Team: "team-pay", TeamID: 11}},
		} {
			if err := x.SetOwnership(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := x.Get(ctx, "acme", "api")
		if err != nil || got.Version != "1.1.0" || got.Ownership != pay || !got.Ownership.HasTeam() {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		names := func(rs []fleet.Repo) (out []string) {
			for _, r := range rs {
				out = append(out, r.Owner+"/"+r.Name)
			}
			return out
		}
		owned, err := x.OwnedBy(ctx, "ACME", 11, "team-pay")
		if err != nil || len(owned) != 2 || names(owned)[0] != "acme/api" || names(owned)[1] != "acme/web" {
			t.Fatalf("OwnedBy = %v, %v; want acme/api (by id) and acme/web (by slug)", names(owned), err)
		}
		if err := x.TeamGone(ctx, "acme", 11); err != nil {
			t.Fatal(err)
		}
		got, _ = x.Get(ctx, "acme", "api")
		if got.Ownership.TeamID != fleet.NoTeam || got.Ownership.HasTeam() {
			t.Fatalf("after the team is gone: %+v", got.Ownership)
		}
		if other, _ := x.Get(ctx, "other", "api"); other.Ownership.TeamID != 11 {
			t.Fatalf("another account's team of the same id changed: %+v", other.Ownership)
		}
	})
}

// TestMigratesOwnershipColumns: a fleet table made before the ownership
// columns gains them on Open and keeps its rows.
func TestMigratesOwnershipColumns(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, d)
			old := `CREATE TABLE goldenpath_fleet_repo (
				owner_key TEXT NOT NULL, name_key TEXT NOT NULL, owner TEXT NOT NULL, name TEXT NOT NULL,
				installation_id BIGINT NOT NULL, template TEXT NOT NULL, version TEXT NOT NULL,
				default_branch TEXT NOT NULL, request TEXT NOT NULL, updated_at BIGINT NOT NULL,
				PRIMARY KEY (owner_key, name_key))`
			if _, err := db.SQL.ExecContext(ctx, old); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL.ExecContext(ctx, db.Rebind(`INSERT INTO goldenpath_fleet_repo VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				"acme", "api", "acme", "api", 1, "go-service", "1.0.0", "main", "", time.Now().UnixMicro()); err != nil {
				t.Fatal(err)
			}
			var x *fleet.Index
			for range 2 { // every replica migrates at start
				var err error
				if x, err = fleet.Open(ctx, db); err != nil {
					t.Fatalf("opening an older database: %v", err)
				}
			}
			got, err := x.Get(ctx, "acme", "api")
			if err != nil || got.Version != "1.0.0" || got.Ownership != (fleet.Ownership{}) {
				t.Fatalf("old row = %+v, %v", got, err)
			}
			got.Ownership = fleet.Ownership{Team: "team-a", TeamID: 5}
			if err := x.SetOwnership(ctx, got); err != nil {
				t.Fatal(err)
			}
			if got, err = x.Get(ctx, "acme", "api"); err != nil || got.Ownership.TeamID != 5 {
				t.Fatalf("after SetOwnership: %+v, %v", got, err)
			}
		})
	}
}
