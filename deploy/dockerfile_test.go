// Package deploy_test checks the deployment files the way their own tools
// read them: the Dockerfile with BuildKit's parser, compose.yaml with
// compose-go (Docker Compose's loader) and the Helm chart rendered by Helm's
// engine. They hold no Go code; these tests are what keeps them working.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

var pinned = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// shellless are base images without /bin/sh.
var shellless = []string{"gcr.io/distroless/static", "gcr.io/distroless/base", "scratch"}

// ociLabels are the image annotations every published image carries.
var ociLabels = []string{"org.opencontainers.image.title", "org.opencontainers.image.description",
	"org.opencontainers.image.source", "org.opencontainers.image.version"}

// dockerfileProblems lists what makes a Dockerfile unfit to ship: unpinned
// bases, a final image that could run a shell or runs as root, missing OCI
// labels.
func dockerfileProblems(data []byte) ([]string, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("decoding instructions: %w", err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	var out []string
	for _, s := range stages {
		if s.BaseName != "scratch" && !pinned.MatchString(s.BaseName) {
			out = append(out, fmt.Sprintf("stage %q: base %s is not pinned by digest", s.Name, s.BaseName))
		}
	}
	final := stages[len(stages)-1]
	if !hasAnyPrefix(final.BaseName, shellless) {
		out = append(out, fmt.Sprintf("final base %s may hold a shell; use distroless static or scratch", final.BaseName))
	}
	user, labels := "", map[string]bool{}
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			out = append(out, fmt.Sprintf("line %d: RUN in the final stage needs a shell", c.Location()[0].Start.Line))
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				out = append(out, "ENTRYPOINT in shell form needs /bin/sh; use the JSON form")
			}
		case *instructions.CmdCommand:
			if c.PrependShell {
				out = append(out, "CMD in shell form needs /bin/sh; use the JSON form")
			}
		case *instructions.UserCommand:
			user = c.User
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = strings.TrimSpace(kv.Value) != ""
			}
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		out = append(out, fmt.Sprintf("the final image runs as %q; set USER to a non-root uid", user))
	}
	for _, l := range ociLabels {
		if !labels[l] {
			out = append(out, "LABEL "+l+" is missing")
		}
	}
	return out, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	problems, err := dockerfileProblems(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("deploy/Dockerfile: %s", p)
	}
}

// TestDockerfileChecks shows each check fails on the file it is meant to
// refuse.
func TestDockerfileChecks(t *testing.T) {
	const digest = "@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	labels := `LABEL org.opencontainers.image.title=t org.opencontainers.image.description=d org.opencontainers.image.source=s org.opencontainers.image.version=v` + "\n"
	good := "FROM golang:1" + digest + " AS b\nRUN go build\nFROM gcr.io/distroless/static" + digest + "\n" + labels + "USER 65532\nENTRYPOINT [\"/x\"]\n"
	tests := []struct{ name, file, want string }{
		{"good", good, ""},
		{"unpinned builder", strings.Replace(good, "golang:1"+digest, "golang:1", 1), `stage "b": base golang:1 is not pinned`},
		{"shell base", strings.Replace(good, "gcr.io/distroless/static", "debian", 1), "may hold a shell"},
		{"root", strings.Replace(good, "USER 65532", "USER root", 1), `runs as "root"`},
		{"no user", strings.Replace(good, "USER 65532\n", "", 1), `runs as ""`},
		{"shell entrypoint", strings.Replace(good, `["/x"]`, "/x serve", 1), "ENTRYPOINT in shell form"},
		{"run in final", good + "RUN true\n", "RUN in the final stage"},
		{"no labels", strings.Replace(good, labels, "", 1), "LABEL org.opencontainers.image.title is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := dockerfileProblems([]byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(problems, "\n")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("problems:\n%s\nwant one with %q", got, tt.want)
			}
		})
	}
}
