package starter

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/lint"
)

func TestPolicyDocumentsEveryKey(t *testing.T) {
	files, err := Files("v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	data := files[config.PolicyFile]
	p, err := config.ParsePolicy(data)
	if err != nil {
		t.Fatalf("the starter goldenpath.yaml does not parse: %v", err)
	}
	if !reflect.DeepEqual(normalize(p), normalize(config.DefaultPolicy())) {
		t.Errorf("the starter goldenpath.yaml is not the default policy:\n got %+v\nwant %+v", p, config.DefaultPolicy())
	}
	lines := strings.Split(string(data), "\n")
	for _, key := range yamlKeys(reflect.TypeOf(config.Policy{}), "") {
		leaf := key[strings.LastIndex(key, ".")+1:]
		i := indexOfKey(lines, leaf)
		if i < 0 {
			t.Errorf("goldenpath.yaml lacks the key %s", key)
			continue
		}
		if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
			t.Errorf("goldenpath.yaml: key %s (line %d) has no comment above it", key, i+1)
		}
	}
}

// normalize makes nil and empty slices compare equal.
func normalize(p config.Policy) config.Policy {
	if len(p.Requesters.Teams) == 0 {
		p.Requesters.Teams = nil
	}
	if len(p.Repository.Topics) == 0 {
		p.Repository.Topics = nil
	}
	return p
}

// yamlKeys lists the dotted yaml keys of a struct type, depth first.
func yamlKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		out = append(out, prefix+name)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, yamlKeys(f.Type, prefix+name+".")...)
		}
	}
	return out
}

func indexOfKey(lines []string, key string) int {
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), key+":") {
			return i
		}
	}
	return -1
}

func TestWorkflowPassesActionlint(t *testing.T) {
	files, err := Files("v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	wf := files[WorkflowPath]
	for _, want := range []string{"GOLDENPATH_VERSION: v1.2.3", "goldenpath lint .", "goldenpath forms --check .", "pull_request:"} {
		if !strings.Contains(string(wf), want) {
			t.Errorf("%s lacks %q:\n%s", WorkflowPath, want, wf)
		}
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint("starter/"+WorkflowPath, wf, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d: %s [%s]", WorkflowPath, e.Line, e.Message, e.Kind)
	}
}

func TestWriteThenLint(t *testing.T) {
	files, err := Files("latest")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"README.md", "templates/go-service/template.yaml", "templates/node-service/CHANGELOG.md", ".github/ISSUE_TEMPLATE/new-go-service.yml"} {
		if len(files[p]) == 0 {
			t.Errorf("the starter lacks %s", p)
		}
	}
	dir := filepath.Join(t.TempDir(), "golden-paths")
	written, err := Write(dir, files, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != len(files) {
		t.Errorf("wrote %d files, want %d", len(written), len(files))
	}
	root, err := lint.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if findings := lint.Lint(context.Background(), root.Templates, lint.Options{Org: lint.DefaultOrg, Forms: root.FormsFS()}); len(findings) > 0 {
		t.Errorf("lint on the starter: %v", findings)
	}
}

func TestWriteRefusesNonEmpty(t *testing.T) {
	files := map[string][]byte{"goldenpath.yaml": []byte("new\n"), "a/b.txt": []byte("b\n")}
	tests := []struct {
		name     string
		existing map[string]string
		force    bool
		wantErr  error
		want     map[string]string
	}{
		{name: "missing folder", want: map[string]string{"goldenpath.yaml": "new\n", "a/b.txt": "b\n"}},
		{name: "empty folder", existing: map[string]string{}, want: map[string]string{"goldenpath.yaml": "new\n"}},
		{name: "non-empty refused", existing: map[string]string{"goldenpath.yaml": "mine\n"}, wantErr: ErrNotEmpty, want: map[string]string{"goldenpath.yaml": "mine\n", "a/b.txt": ""}},
		{name: "non-empty forced", existing: map[string]string{"goldenpath.yaml": "mine\n", "keep.txt": "k\n"}, force: true, want: map[string]string{"goldenpath.yaml": "new\n", "keep.txt": "k\n", "a/b.txt": "b\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			if tt.existing != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for p, s := range tt.existing {
				if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Write(dir, files, tt.force)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Write: %v, want %v", err, tt.wantErr)
			}
			for p, want := range tt.want {
				got, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
				if string(got) != want {
					t.Errorf("%s = %q, want %q", p, got, want)
				}
			}
		})
	}
}
