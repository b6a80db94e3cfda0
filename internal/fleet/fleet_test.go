package fleet_test

import (
	"context"
	"errors"
	"fmt"
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
		if n, err := x.CountUpgradePRs(ctx, "ACME", fleet.PROpen); err != nil || n != 2 {
			t.Fatalf("open PRs = %d, %v; want 2", n, err)
		}
		pr.State = fleet.PRMerged
		if err := x.SetUpgradePR(ctx, pr); err != nil {
			t.Fatal(err)
		}
		if n, _ := x.CountUpgradePRs(ctx, "ACME", fleet.PROpen); n != 1 {
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

// TestUpgradePRLimitsPerOwner: the counts behind prConcurrentLimit and
// prHourlyLimit are per owner (goldenpath.yaml is per account) and come from
// the database, so every replica sees every pull request opened.
func TestUpgradePRLimitsPerOwner(t *testing.T) {
	forEachDialect(t, func(t *testing.T, x *fleet.Index, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
		prs := []fleet.UpgradePR{
			{Owner: "acme", Name: "a", Number: 1, State: fleet.PROpen, OpenedAt: t0},
			{Owner: "Acme", Name: "b", Number: 2, State: fleet.PROpen, OpenedAt: t0.Add(30 * time.Minute)},
			{Owner: "acme", Name: "c", Number: 3, State: fleet.PRMerged, OpenedAt: t0.Add(50 * time.Minute)},
			{Owner: "acme", Name: "d", Number: 4, State: fleet.PROpen}, // recorded, not opened by the bot
			{Owner: "other", Name: "a", Number: 1, State: fleet.PROpen, OpenedAt: t0.Add(40 * time.Minute)},
		}
		for _, pr := range prs {
			pr.Template, pr.TargetVersion = "go-service", "1.1.0"
			if err := x.SetUpgradePR(ctx, pr); err != nil {
				t.Fatal(err)
			}
		}
		// An update without OpenedAt keeps the recorded time.
		if err := x.SetUpgradePR(ctx, fleet.UpgradePR{Owner: "acme", Name: "a", Template: "go-service", TargetVersion: "1.2.0", Number: 1, State: fleet.PROpen}); err != nil {
			t.Fatal(err)
		}
		if got, err := x.UpgradePR(ctx, "acme", "a", "go-service"); err != nil || !got.OpenedAt.Equal(t0) || got.TargetVersion != "1.2.0" {
			t.Fatalf("after an update = %+v, %v; want OpenedAt %s kept", got, err, t0)
		}
		counts := []struct {
			owner, state string
			want         int
		}{
			{"acme", fleet.PROpen, 3},
			{"ACME", fleet.PRMerged, 1},
			{"other", fleet.PROpen, 1},
			{"nobody", fleet.PROpen, 0},
		}
		for _, c := range counts {
			if n, err := x.CountUpgradePRs(ctx, c.owner, c.state); err != nil || n != c.want {
				t.Errorf("CountUpgradePRs(%s, %s) = %d, %v; want %d", c.owner, c.state, n, err, c.want)
			}
		}
		since := []struct {
			owner string
			since time.Time
			want  []time.Time
		}{
			{"acme", t0.Add(-time.Hour), []time.Time{t0, t0.Add(30 * time.Minute), t0.Add(50 * time.Minute)}},
			{"acme", t0.Add(30 * time.Minute), []time.Time{t0.Add(30 * time.Minute), t0.Add(50 * time.Minute)}},
			{"other", t0, []time.Time{t0.Add(40 * time.Minute)}},
			{"acme", t0.Add(time.Hour), nil},
		}
		for _, c := range since {
			got, err := x.UpgradePRsOpenedSince(ctx, c.owner, c.since)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("UpgradePRsOpenedSince(%s, %s) = %v, %v; want %v", c.owner, c.since, got, err, c.want)
			}
		}
	})
}

// TestMigratesAnOlderDatabase: a database made by the version before
// opened_at existed gains the column on Open, keeps its rows, and works.
func TestMigratesAnOlderDatabase(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, d)
			old := `CREATE TABLE goldenpath_upgrade_pr (
				owner_key TEXT NOT NULL, name_key TEXT NOT NULL, template TEXT NOT NULL,
				owner TEXT NOT NULL, name TEXT NOT NULL, target_version TEXT NOT NULL,
				number INTEGER NOT NULL, state TEXT NOT NULL, conflicts INTEGER NOT NULL,
				last_error TEXT NOT NULL, updated_at BIGINT NOT NULL,
				PRIMARY KEY (owner_key, name_key, template))`
			if _, err := db.SQL.ExecContext(ctx, old); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL.ExecContext(ctx, db.Rebind(`INSERT INTO goldenpath_upgrade_pr VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				"acme", "api", "go-service", "acme", "api", "1.1.0", 7, fleet.PROpen, 0, "", time.Now().UnixMicro()); err != nil {
				t.Fatal(err)
			}
			for range 2 { // every replica migrates at start
				if _, err := fleet.Open(ctx, db); err != nil {
					t.Fatalf("opening an older database: %v", err)
				}
			}
			x, err := fleet.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.UpgradePR(ctx, "acme", "api", "go-service")
			if err != nil || got.Number != 7 || !got.OpenedAt.IsZero() {
				t.Fatalf("old row = %+v, %v; want #7 with no OpenedAt", got, err)
			}
			opened := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
			got.OpenedAt = opened
			if err := x.SetUpgradePR(ctx, got); err != nil {
				t.Fatal(err)
			}
			if ts, err := x.UpgradePRsOpenedSince(ctx, "acme", opened); err != nil || len(ts) != 1 || !ts[0].Equal(opened) {
				t.Fatalf("opened since = %v, %v; want [%s]", ts, err, opened)
			}
		})
	}
}

// TestDeleteIfRecordedBefore: a reconcile forgets a repository missing from
// its listing only if the record is older than the listing; one recorded
// after it began (a request created it meanwhile) stays, with its PR record.
func TestDeleteIfRecordedBefore(t *testing.T) {
	forEachDialect(t, func(t *testing.T, x *fleet.Index, _ *store.DB) {
		ctx := context.Background()
		listing := time.Now().Add(-time.Minute)
		if err := x.Upsert(ctx, fleet.Repo{InstallationID: 1, Owner: "acme", Name: "fresh", Template: "svc", Version: "1.0.0", DefaultBranch: "main"}); err != nil {
			t.Fatal(err)
		}
		if err := x.SetUpgradePR(ctx, fleet.UpgradePR{Owner: "acme", Name: "fresh", Template: "svc", Number: 1, State: fleet.PROpen, TargetVersion: "1.1.0"}); err != nil {
			t.Fatal(err)
		}
		gone, err := x.DeleteIfRecordedBefore(ctx, "acme", "fresh", listing)
		if err != nil || gone {
			t.Fatalf("a repository recorded after the listing began was forgotten (gone %v, err %v)", gone, err)
		}
		if _, err := x.Get(ctx, "acme", "fresh"); err != nil {
			t.Fatalf("fresh repository: %v", err)
		}
		if _, err := x.UpgradePR(ctx, "acme", "fresh", "svc"); err != nil {
			t.Fatalf("its upgrade PR record: %v", err)
		}
		gone, err = x.DeleteIfRecordedBefore(ctx, "ACME", "Fresh", time.Now().Add(time.Second))
		if err != nil || !gone {
			t.Fatalf("a repository recorded before the listing stayed (gone %v, err %v)", gone, err)
		}
		if _, err := x.Get(ctx, "acme", "fresh"); err == nil {
			t.Fatal("still in the fleet")
		}
		if pr, err := x.UpgradePR(ctx, "acme", "fresh", "svc"); err == nil {
			t.Fatalf("upgrade PR record left: %+v", pr)
		}
	})
}
