package adoption

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// TestPlanStopsWithContext: an adoption's render stops as soon as its job's
// context ends, not after the render timeout.
func TestPlanStopsWithContext(t *testing.T) {
	tpl, err := template.Load(fstest.MapFS{
		template.ManifestFileName: {Data: []byte("name: svc\ntitle: S\ndescription: A service.\nparameters:\n" +
			"  - {id: name, title: Name, type: string, required: true, example: pay}\n  - {id: owner, title: Owner, type: string, required: true, example: team-a}\n")},
		"skeleton/a.txt": {Data: []byte("{{ range 1000000000000 }}{{ end }}")},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &Workflow{cfg: Config{RenderTimeout: time.Hour}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = w.plan(ctx, tpl, RepoArgs{Org: "acme", Repo: "billing", TemplatesRepo: "golden-paths", Tag: "svc/v1.0.0"}, Row{}, nil,
		template.Answers{"name": "billing", "owner": "team-a"}, semver.MustParse("1.0.0"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, template.ErrRenderTimeout) {
		t.Fatalf("plan with an ended context = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the render stopped %s after it started, want soon after the context ended (100ms)", d)
	}
}
