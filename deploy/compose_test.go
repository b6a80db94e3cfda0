package deploy_test

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// TestCompose loads compose.yaml with Docker Compose's own loader and checks
// the shape it promises: PostgreSQL, two goldenpath replicas on it, started
// once the database is healthy, locked down.
func TestCompose(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"}, cli.WithWorkingDirectory("."), cli.WithEnv([]string{"POSTGRES_PASSWORD=s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("loading compose.yaml: %v", err)
	}
	pg, err := p.GetService("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pg.Image, "postgres:") || pg.HealthCheck == nil {
		t.Errorf("postgres: image %q, healthcheck %v", pg.Image, pg.HealthCheck)
	}
	gp, err := p.GetService("goldenpath")
	if err != nil {
		t.Fatal(err)
	}
	if n := gp.GetScale(); n != 2 {
		t.Errorf("goldenpath runs %d replicas, want 2", n)
	}
	dbURL := gp.Environment["DATABASE_URL"]
	if dbURL == nil || !strings.HasPrefix(*dbURL, "postgres://goldenpath:s3cret@postgres:5432/") {
		t.Errorf("DATABASE_URL = %v, want PostgreSQL on the postgres service with the given password", dbURL)
	}
	if dep, ok := gp.DependsOn["postgres"]; !ok || dep.Condition != "service_healthy" {
		t.Errorf("goldenpath depends on postgres as %+v, want service_healthy", gp.DependsOn)
	}
	if gp.Build == nil || gp.Build.Dockerfile != "deploy/Dockerfile" {
		t.Errorf("goldenpath is not built from deploy/Dockerfile: %+v", gp.Build)
	}
	if !gp.ReadOnly || len(gp.CapDrop) == 0 || gp.StopGracePeriod == nil {
		t.Errorf("goldenpath: read_only %v, cap_drop %v, stop_grace_period %v", gp.ReadOnly, gp.CapDrop, gp.StopGracePeriod)
	}
	for _, k := range []string{"APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"} {
		if _, ok := gp.Environment[k]; ok {
			t.Errorf("%s is set in compose.yaml; secrets belong in .env", k)
		}
	}
}
