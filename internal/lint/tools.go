package lint

import (
	"bytes"
	"errors"
	"io"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/rhysd/actionlint"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// checkWorkflow runs actionlint's built-in rules over a rendered workflow.
// shellcheck and pyflakes are external programs and stay off: lint must give
// the same answer on every machine.
func checkWorkflow(f template.File) []Finding {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		return []Finding{{Message: "starting actionlint: " + err.Error()}}
	}
	// The path is virtual (it never exists on disk), so actionlint reads no
	// project config from wherever lint happens to run.
	errs, err := l.Lint("rendered/"+f.Path, f.Data, nil)
	if err != nil {
		return []Finding{{Message: "actionlint: " + err.Error()}}
	}
	out := make([]Finding, len(errs))
	for i, e := range errs {
		out[i] = Finding{Line: e.Line, Message: e.Message + " [actionlint " + e.Kind + "]"}
	}
	return out
}

// checkDockerfile parses a rendered Dockerfile with BuildKit's own parser and
// instruction decoder, so a file Docker would refuse fails here first.
func checkDockerfile(f template.File) []Finding {
	res, err := parser.Parse(bytes.NewReader(f.Data))
	if err != nil {
		return []Finding{dockerFinding(err)}
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return []Finding{dockerFinding(err)}
	}
	if len(stages) == 0 {
		return []Finding{{Message: "no FROM instruction"}}
	}
	var out []Finding
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		out = append(out, Finding{Line: line, Message: "Dockerfile: " + trimNewline(w.Short)})
	}
	return out
}

func dockerFinding(err error) Finding {
	f := Finding{Message: "Dockerfile: " + err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		f.Line = le.Locations[0][0].Start.Line
	}
	return f
}
