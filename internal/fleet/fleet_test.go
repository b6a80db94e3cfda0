package fleet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

func forEachDialect(t *testing.T, fn func(t *testing.T, x *fleet.Index, db *store.DB)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, d)
			x, err := fleet.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			// Opening again must not fail: every replica migrates at start.
			if _, err := fleet.Open(context.Background(), db); err != nil {
				t.Fatalf("second open: %v", err)
			}
			fn(t, x, db)
		})
	}
}

func TestRepos(t *testing.T) {
	forEachDialect(t, func(t *testing.T, x *fleet.Index, _ *store.DB) {
		ctx := context.Background()
		before := time.Now().Add(-time.Second)
		repos := []fleet.Repo{
			{InstallationID: 1, Owner: "acme", Name: "payments", Template: "go-service", Version: "1.0.0", DefaultBranch: "main", Request: "https://github.com/acme/golden-paths/issues/42"},
			{InstallationID: 1, Owner: "acme", Name: "billing", Template: "go-service", Version: "1.1.0", DefaultBranch: "main"},
			{InstallationID: 2, Owner: "other", Name: "web", Template: "static-site", Version: "0.3.0", DefaultBranch: "trunk"},
		}
		for _, r := range repos {
			if err := x.Upsert(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := x.Get(ctx, "ACME", "Payments") // GitHub names are case-insensitive
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != "1.0.0" || got.Request != repos[0].Request || got.InstallationID != 1 || got.DefaultBranch != "main" {
			t.Fatalf("Get = %+v", got)
		}
		if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("UpdatedAt = %v, want about now", got.UpdatedAt)
		}
		// An upgrade merged: same row, new version.
		up := repos[0]
		up.Version = "1.2.0"
		if err := x.Upsert(ctx, up); err != nil {
			t.Fatal(err)
		}
		list, err := x.ListByTemplate(ctx, "go-service")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "billing" || list[1].Name != "payments" || list[1].Version != "1.2.0" {
			t.Fatalf("ListByTemplate = %+v", list)
		}
		all, err := x.List(ctx)
		if err != nil || len(all) != 3 {
			t.Fatalf("List = %d repos, %v; want 3", len(all), err)
		}
		if err := x.Delete(ctx, "acme", "billing"); err != nil {
			t.Fatal(err)
		}
		if err := x.Delete(ctx, "acme", "never-there"); err != nil {
			t.Fatalf("deleting an unknown repo: %v", err)
		}
		if _, err := x.Get(ctx, "acme", "billing"); !errors.Is(err, fleet.ErrNotFound) {
			t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
		}
		if err := x.Upsert(ctx, fleet.Repo{Owner: "acme", Name: "x"}); err == nil {
			t.Fatal("Upsert without a template succeeded")
		}
	})
}

func TestUpgradePRs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, x *fleet.Index, _ *store.DB) {
		ctx := context.Background()
		if _, err := x.UpgradePR(ctx, "acme", "payments", "go-service"); !errors.Is(err, fleet.ErrNotFound) {
			t.Fatalf("unknown PR: %v, want ErrNotFound", err)
		}
		pr := fleet.UpgradePR{Owner: "acme", Name: "payments", Template: "go-service", TargetVersion: "1.1.0", Number: 7, State: fleet.PROpen, Conflicts: 2}
		if err := x.SetUpgradePR(ctx, pr); err != nil {
			t.Fatal(err)
		}
		if err := x.SetUpgradePR(ctx, fleet.UpgradePR{Owner: "acme", Name: "billing", Template: "go-service", TargetVersion: "1.1.0", Number: 3, State: fleet.PROpen}); err != nil {
			t.Fatal(err)
		}
		// A newer version updates the same PR.
		pr.TargetVersion, pr.Conflicts, pr.LastError = "1.2.0", 0, "403 secondary rate limit"
		if err := x.SetUpgradePR(ctx, pr); err != nil {
			t.Fatal(err)
		}
		got, err := x.UpgradePR(ctx, "Acme", "PAYMENTS", "go-service")
		if err != nil {
			t.Fatal(err)
		}
		if got.TargetVersion != "1.2.0" || got.Number != 7 || got.Conflicts != 0 || got.LastError != "403 secondary rate limit" || got.State != fleet.PROpen {
			t.Fatalf("UpgradePR = %+v", got)
		}
		if n, err := x.CountUpgradePRs(ctx, fleet.PROpen); err != nil || n != 2 {
			t.Fatalf("open PRs = %d, %v; want 2", n, err)
		}
		pr.State = fleet.PRMerged
		if err := x.SetUpgradePR(ctx, pr); err != nil {
			t.Fatal(err)
		}
		if n, _ := x.CountUpgradePRs(ctx, fleet.PROpen); n != 1 {
			t.Fatalf("open PRs after merge = %d, want 1", n)
		}
		list, err := x.UpgradePRs(ctx, "go-service")
		if err != nil || len(list) != 2 || list[0].Name != "billing" || list[1].State != fleet.PRMerged {
			t.Fatalf("UpgradePRs = %+v, %v", list, err)
		}
		// Deleting the repository forgets its PR records.
		if err := x.Delete(ctx, "acme", "payments"); err != nil {
			t.Fatal(err)
		}
		if _, err := x.UpgradePR(ctx, "acme", "payments", "go-service"); !errors.Is(err, fleet.ErrNotFound) {
			t.Fatalf("PR after repo delete: %v, want ErrNotFound", err)
		}
	})
}

func TestETags(t *testing.T) {
	forEachDialect(t, func(t *testing.T, x *fleet.Index, _ *store.DB) {
		ctx := context.Background()
		etag, body, err := x.ETag(ctx, "GET /repos/acme/payments/contents/.goldenpath.yml")
		if err != nil || etag != "" || body != nil {
			t.Fatalf("unknown key = %q %q %v", etag, body, err)
		}
		k := "GET /repos/acme/payments/contents/.goldenpath.yml"
		if err := x.SetETag(ctx, k, `W/"abc"`, []byte("template: go-service\n")); err != nil {
			t.Fatal(err)
		}
		if err := x.SetETag(ctx, k, `"def"`, []byte{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
		etag, body, err = x.ETag(ctx, k)
		if err != nil || etag != `"def"` || string(body) != "\x00\x01\x02" {
			t.Fatalf("ETag = %q %q %v", etag, body, err)
		}
		if err := x.SetETag(ctx, "no-body", `"x"`, nil); err != nil {
			t.Fatal(err)
		}
		if etag, body, err = x.ETag(ctx, "no-body"); err != nil || etag != `"x"` || body != nil {
			t.Fatalf("ETag without body = %q %q %v", etag, body, err)
		}
	})
}
