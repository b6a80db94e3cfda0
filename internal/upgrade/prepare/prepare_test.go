package prepare

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

const params = `parameters:
  - {id: name, title: Service name, type: string, required: true, example: payments}
  - {id: owner, title: Owning team, type: string, required: true, example: team-pay}
`

func tpl(t *testing.T, extra string, files map[string]string) *template.Template {
	t.Helper()
	fsys := fstest.MapFS{
		template.ManifestFileName: {Data: []byte("name: svc\ntitle: Service\ndescription: A service.\n" + params + extra)},
		"CHANGELOG.md":            {Data: []byte("## 2.0.0\n\n- Two.\n\n## 1.1.0\n\n- One one.\n\n## 1.0.0\n\n- One.\n")},
	}
	for p, d := range files {
		fsys[path.Join(template.SkeletonDir, p)] = &fstest.MapFile{Data: []byte(d), Mode: 0o644}
	}
	out, err := template.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tree(files map[string]string) merge.Tree {
	out := merge.Tree{}
	for p, d := range files {
		out[p] = merge.FileEntry{Data: []byte(d), Mode: 0o644}
	}
	return out
}

func TestUpgrade(t *testing.T) {
	af := template.AnswersFile{Template: "svc", Version: "1.0.0", Source: "acme/golden-paths",
		Answers: template.Answers{"name": "pay", "owner": "team-pay"}, Request: "https://example.com/1"}
	v1 := tpl(t, "", map[string]string{"a.txt": "{{ .name }}\n", "old.txt": "old\n", "keep.txt": "k\n"})
	tests := []struct {
		name    string
		old     *template.Template // default v1
		answers template.Answers   // default af's
		newT    *template.Template
		ours    map[string]string
		wantErr string
		check   func(t *testing.T, r *Result)
	}{
		{
			name: "new parameter with a default, dropped files, migration rename",
			newT: tpl(t, "  - {id: tier, title: Tier, type: string, default: gold, example: gold}\noptions:\n  migrations:\n    - version: 2.0.0\n      rename: [{from: keep.txt, to: kept.txt}]\n",
				map[string]string{"a.txt": "{{ .name }} {{ .tier }}\n", "kept.txt": "k\n"}),
			ours: map[string]string{"a.txt": "pay\n", "old.txt": "old\n", "keep.txt": "k\nmine\n", ".goldenpath.yml": "ignored"},
			check: func(t *testing.T, r *Result) {
				if r.AnswersFile.Answers["tier"] != "gold" || r.AnswersFile.Version != "2.0.0" || r.AnswersFile.Request != "https://example.com/1" {
					t.Errorf("answers file = %+v", r.AnswersFile)
				}
				ch := r.Changes
				if string(ch["a.txt"].Data) != "pay gold\n" || ch["old.txt"] != nil || ch["keep.txt"] != nil || string(ch["kept.txt"].Data) != "k\nmine\n" {
					t.Errorf("changes: a=%q old=%v keep=%v kept=%v", ch["a.txt"], ch["old.txt"], ch["keep.txt"], ch["kept.txt"])
				}
				if _, ok := ch["old.txt"]; !ok {
					t.Errorf("old.txt (deleted by the template, unchanged here) is not deleted")
				}
				if !strings.Contains(string(ch[template.AnswersFileName].Data), "version: 2.0.0") {
					t.Errorf("answers file not in the changes")
				}
				if r.Changelog != "## 2.0.0\n\n- Two.\n\n## 1.1.0\n\n- One one." {
					t.Errorf("changelog = %q", r.Changelog)
				}
			},
		},
		{
			name:    "new required parameter without a default",
			newT:    tpl(t, "  - {id: tier, title: Tier, type: string, required: true, example: gold}\n", map[string]string{"a.txt": "x\n"}),
			ours:    map[string]string{"a.txt": "pay\n"},
			wantErr: "add any new required answer",
		},
		{
			name:    "parameter removed by the new version",
			old:     tpl(t, "  - {id: tier, title: Tier, type: string, example: gold}\n", map[string]string{"a.txt": "{{ .name }}\n"}),
			answers: template.Answers{"name": "pay", "owner": "team-pay", "tier": "gold"},
			newT: func() *template.Template {
				fsys := fstest.MapFS{
					template.ManifestFileName: {Data: []byte("name: svc\ntitle: Service\ndescription: A service.\nparameters:\n  - {id: name, title: Service name, type: string, required: true, example: pay}\n  - {id: owner, title: Owning team, type: string, required: true, example: team-pay}\n")},
					"skeleton/a.txt":          {Data: []byte("{{ .name }}\n")},
				}
				out, err := template.Load(fsys)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}(),
			ours: map[string]string{"a.txt": "pay\n"},
			check: func(t *testing.T, r *Result) {
				if _, ok := r.AnswersFile.Answers["tier"]; ok || len(r.Conflicts()) != 0 {
					t.Errorf("answers %v, conflicts %+v", r.AnswersFile.Answers, r.Conflicts())
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old, in := v1, af
			if tc.old != nil {
				old = tc.old
			}
			if tc.answers != nil {
				in.Answers = tc.answers
			}
			r, err := Upgrade(context.Background(), Input{Old: old, New: tc.newT, From: semver.MustParse("1.0.0"), To: semver.MustParse("2.0.0"), Answers: in, Org: "acme", Ours: tree(tc.ours)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
		})
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{"1.2.0": "1.2.0", "v1.2.0": "1.2.0", " 2.0.0-rc.1 ": "2.0.0-rc.1", "1.2": "", "latest": ""} {
		v, err := ParseVersion(in)
		if want == "" {
			if err == nil {
				t.Errorf("ParseVersion(%q) accepted", in)
			}
			continue
		}
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v", in, v, err)
		}
	}
}

// TestUpgradeStopsWithContext: a render that would loop for its whole
// (long) timeout stops as soon as the job's context ends.
func TestUpgradeStopsWithContext(t *testing.T) {
	af := template.AnswersFile{Template: "svc", Version: "1.0.0", Answers: template.Answers{"name": "pay", "owner": "team-pay"}}
	v1 := tpl(t, "", map[string]string{"a.txt": "{{ .name }}\n"})
	loops := tpl(t, "", map[string]string{"a.txt": "{{ range 1000000000000 }}{{ end }}"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Upgrade(ctx, Input{Old: v1, New: loops, From: semver.MustParse("1.0.0"), To: semver.MustParse("2.0.0"),
		Answers: af, Org: "acme", Ours: tree(nil), RenderTimeout: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, template.ErrRenderTimeout) {
		t.Fatalf("Upgrade with an ended context = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the render stopped %s after it started, want soon after the context ended (100ms)", d)
	}
}
