package template

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRenderDeadline: loops that call no function, nested generators,
// recursive templates and long file lists are all stopped by the render's
// deadline with ErrRenderTimeout naming the file. (No duration is asserted:
// a render that were not stopped would hang the test.)
func TestRenderDeadline(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"range over a huge integer", map[string]string{"a.txt": "{{ range 1000000000000 }}{{ end }}"}},
		{"nested capped generators", map[string]string{"a.txt": "{{ range until 1000000 }}{{ range until 1000000 }}{{ end }}{{ end }}"}},
		{"loop in a file name", map[string]string{"{{ range 1000000000000 }}{{ end }}x.txt": "x"}},
		{"recursive templates", map[string]string{"a.txt": `{{ define "t" }}{{ template "t" . }}{{ template "t" . }}{{ end }}{{ template "t" . }}`}},
		{"break and continue do not skip the check", map[string]string{"a.txt": "{{ range 1000000000000 }}{{ if true }}{{ continue }}{{ end }}{{ end }}"}},
		{"loop in an else branch", map[string]string{"a.txt": "{{ if false }}{{ else }}{{ with 1 }}{{ range 1000000000000 }}{{ end }}{{ end }}{{ end }}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := skeleton(t, "", tt.files)
			_, err := Render(tpl, exampleAnswers, RenderContext{Timeout: 50 * time.Millisecond})
			if !errors.Is(err, ErrRenderTimeout) {
				t.Fatalf("Render = %v, want ErrRenderTimeout", err)
			}
			if !strings.Contains(err.Error(), "skeleton/") || !strings.Contains(err.Error(), "stopped after 50ms") {
				t.Errorf("error %q does not name the file and the deadline", err)
			}
		})
	}
}

func TestRenderStopsOnCancel(t *testing.T) {
	tpl := skeleton(t, "", map[string]string{"a.txt": "{{ range 1000000000000 }}{{ end }}"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := RenderCtx(ctx, tpl, exampleAnswers, RenderContext{Timeout: time.Hour})
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrRenderTimeout) {
		t.Fatalf("RenderCtx after cancel = %v, want context.Canceled", err)
	}
}

// TestRenderDeadlineKeepsOutput: the check prints nothing, loops and
// templates render as before, and a {{ define }} stays in its own file.
func TestRenderDeadlineKeepsOutput(t *testing.T) {
	got := renderMap(t, skeleton(t, "", map[string]string{
		"a.txt": `{{ define "item" }}<{{ . }}>{{ end }}{{ range $i, $x := list "a" "b" }}{{ template "item" $x }}{{ end }}{{ range 3 }}{{ . }}{{ else }}none{{ end }}`,
	}))
	if want := "<a><b>012"; got["a.txt"] != want {
		t.Errorf("a.txt = %q, want %q", got["a.txt"], want)
	}
	tpl := skeleton(t, "", map[string]string{
		"a.txt": `{{ define "item" }}<{{ . }}>{{ end }}`,
		"b.txt": `{{ template "item" "x" }}`,
	})
	if _, err := Render(tpl, exampleAnswers, RenderContext{}); err == nil || !strings.Contains(err.Error(), `template "item" not defined`) {
		t.Fatalf("a {{ define }} leaked into another file: %v", err)
	}
}
