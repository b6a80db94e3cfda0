// Package demo runs goldenpath's whole flow on this machine against the
// built-in GitHub simulator: an organization installs the App, a developer
// files a "new service" issue the way GitHub renders a submitted form, and
// the bot answers it with a new repository. No GitHub account is needed.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Options configure a demo run.
type Options struct {
	// Dir holds the demo's SQLite database (a temporary folder).
	Dir string
	// Out receives the story; Log the bot's JSON logs (io.Discard to hide them).
	Out io.Writer
	Log io.Writer
	// Timeout bounds each wait (default 60 s).
	Timeout time.Duration
}

// The demo's cast: one organization, one developer in one team.
const (
	org       = "acme"
	developer = "alice"
	team      = "team-payments"
	service   = "payments-api"
	tmplName  = "go-service"
)

// Run plays the demo and returns an error if any step did not happen.
func Run(ctx context.Context, opts Options) error {
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	out := opts.Out
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	log := slog.New(slog.NewJSONHandler(opts.Log, &slog.HandlerOptions{Level: slog.LevelInfo}))

	say("goldenpath demo: the GitHub App against the built-in GitHub simulator\n")
	w, err := sandbox.Start(ctx, sandbox.Options{
		DatabaseURL: "sqlite://" + filepath.Join(opts.Dir, "goldenpath.db"),
		Logger:      log,
		Org:         org,
	})
	if err != nil {
		return fmt.Errorf("starting the simulator and the bot: %w", err)
	}
	defer w.Close()
	say("1. Simulated GitHub at %s, goldenpath serving webhooks with an embedded SQLite queue.", w.SimURL)

	w.Sim.AddOrg(org, developer)
	w.Sim.AddTeam(org, team, developer)
	tmpl := sandbox.BuiltinTemplates()
	sha, err := w.PublishTemplates(tmpl, nil, "1.0.0")
	if err != nil {
		return err
	}
	say("2. %s/%s holds the built-in templates and their issue forms (commit %s), tagged go-service/v1.0.0 and node-service/v1.0.0.", org, w.TemplatesRepo, sha[:7])

	w.Install()
	if err := sandbox.WaitFor(ctx, opts.Timeout, "the request labels", func() bool {
		return hasAll(w.Sim.Labels(org, w.TemplatesRepo), "goldenpath", "template:go-service", "goldenpath:created")
	}); err != nil {
		return err
	}
	say("3. The App is installed on %s; the bot created the request labels: %s.", org, strings.Join(w.Sim.Labels(org, w.TemplatesRepo), ", "))

	set, err := template.LoadRepo(tmpl)
	if err != nil {
		return err
	}
	answers := map[string]any(set[tmplName].Manifest.ExampleAnswers())
	answers["name"] = service
	answers["owner"] = team
	number, err := w.FileRequest(tmpl, tmplName, developer, answers)
	if err != nil {
		return fmt.Errorf("filing the request: %w", err)
	}
	issue, _ := w.Sim.Issue(org, w.TemplatesRepo, number)
	say("4. %s filed issue #%d %q with the \"New go-service\" form:\n", developer, number, issue.Title)
	say("%s\n", indent(issue.Body, "     | "))

	if err := sandbox.WaitFor(ctx, opts.Timeout, "the request to be answered", func() bool {
		is, err := w.Sim.Issue(org, w.TemplatesRepo, number)
		return err == nil && is.State == "closed"
	}); err != nil {
		return fmt.Errorf("%w; the bot said: %s", err, lastComment(w.Sim, org, w.TemplatesRepo, number))
	}
	issue, _ = w.Sim.Issue(org, w.TemplatesRepo, number)
	say("5. The bot worked the delivery from its queue: issue #%d is %s (%s), labels %s.", number, issue.State, issue.StateReason, strings.Join(issue.Labels, ", "))

	files, err := w.Sim.Files(org, service, "main")
	if err != nil {
		return fmt.Errorf("reading the new repository: %w", err)
	}
	commits, _ := w.Sim.Commits(org, service, "main")
	say("6. %s/%s was created with %d files in %d commit(s); access for team %s: %s.\n", org, service, len(files), len(commits), team, w.Sim.TeamRepoPermission(org, team, org, service))
	say("%s", tree(files))
	say("   .goldenpath.yml:\n%s", indent(string(files[template.AnswersFileName]), "     | "))
	say("7. The bot's comment on #%d:\n\n%s\n", number, indent(lastComment(w.Sim, org, w.TemplatesRepo, number), "     | "))

	c := w.Sim.Counts()
	say("8. GitHub requests the bot made: %d (writes: %d); rate-limit violations: %d.", c.Total, c.Writes(), len(w.Sim.Violations()))
	say("\nDone. Try `goldenpath render --template templates/go-service --out ./out` to render locally.")
	return nil
}

func hasAll(have []string, want ...string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

func lastComment(sim *githubsim.Sim, owner, repo string, number int) string {
	cs := sim.Comments(owner, repo, number)
	if len(cs) == 0 {
		return "(no comment)"
	}
	return cs[len(cs)-1].Body
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(prefix+l, " ")
	}
	return strings.Join(lines, "\n")
}

// tree prints file paths as an indented tree with sizes.
func tree(files map[string][]byte) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	printed := map[string]bool{}
	for _, p := range paths {
		parts := strings.Split(p, "/")
		for i := 0; i < len(parts)-1; i++ {
			dir := strings.Join(parts[:i+1], "/")
			if !printed[dir] {
				printed[dir] = true
				fmt.Fprintf(&b, "     %s%s/\n", strings.Repeat("  ", i), parts[i])
			}
		}
		fmt.Fprintf(&b, "     %s%-*s %6d bytes\n", strings.Repeat("  ", len(parts)-1), 34-2*(len(parts)-1), parts[len(parts)-1], len(files[p]))
	}
	return b.String()
}
