// Package demo runs goldenpath's whole flow on this machine against the
// built-in GitHub simulator: an organization installs the App, a developer
// files a "new service" issue the way GitHub renders a submitted form, and
// the bot answers it with a new repository. No GitHub account is needed.
package demo

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Options configure a demo run.
type Options struct {
	// Dir holds the demo's SQLite database (a temporary folder) unless
	// DatabaseURL names another database, which the demo then leaves behind
	// for `goldenpath fleet` and `goldenpath jobs` to read.
	Dir         string
	DatabaseURL string
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
	if opts.DatabaseURL == "" {
		opts.DatabaseURL = "sqlite://" + filepath.Join(opts.Dir, "goldenpath.db")
	}
	w, err := sandbox.Start(ctx, sandbox.Options{
		DatabaseURL: opts.DatabaseURL,
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
	say("3. The App is installed on %s; the bot created the request labels: %s.", org, strings.Join(ours(w.Sim.Labels(org, w.TemplatesRepo)), ", "))

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

	if err := adoptionStory(ctx, w, opts, say); err != nil {
		return err
	}
	if err := upgradeStory(ctx, w, opts, say); err != nil {
		return err
	}
	if err := adoptedUpgrade(ctx, w, opts, say); err != nil {
		return err
	}

	c := w.Sim.Counts()
	say("14. GitHub requests the bot made in all: %d (writes: %d); rate-limit violations: %d.", c.Total, c.Writes(), len(w.Sim.Violations()))
	say("\nDone. Try `goldenpath render --template templates/go-service --out ./out` to render locally.")
	return nil
}

// upgradeStory is the second half: the team edits its repository, the
// platform team publishes go-service v1.1.0, and the bot opens an upgrade
// pull request that keeps the team's edit; the team merges it.
func upgradeStory(ctx context.Context, w *sandbox.World, opts Options, say func(string, ...any)) error {
	files, err := w.Sim.Files(org, service, "main")
	if err != nil {
		return err
	}
	title, rest, _ := strings.Cut(string(files["README.md"]), "\n")
	edited := title + "\n\nOn call: #payments-oncall (PagerDuty rota \"payments\").\n" + rest
	if _, err := w.Sim.Push(org, service, "main", map[string][]byte{"README.md": []byte(edited)}, "README: say who is on call", developer); err != nil {
		return fmt.Errorf("pushing the team's edit: %w", err)
	}
	say("8. %s edits %s/%s: README.md now says who is on call.", developer, org, service)

	skeleton, err := fs.ReadFile(sandbox.BuiltinTemplates(), "templates/go-service/skeleton/README.md")
	if err != nil {
		return err
	}
	notes := "- A runbook for whoever is paged (`docs/runbook.md`), linked from the README."
	if _, err := w.PublishVersion(tmplName, "1.1.0", notes, "platform-team", map[string][]byte{
		"skeleton/README.md":       append(skeleton, []byte("\nWhen paged, follow [the runbook](docs/runbook.md).\n")...),
		"skeleton/docs/runbook.md": []byte("# Runbook of {{ .name }}\n\n1. Check `/healthz`.\n2. Read the JSON logs.\n3. Roll back the last deploy.\n"),
	}); err != nil {
		return err
	}
	say("9. The platform team publishes go-service v1.1.0 (a runbook and a README line) by pushing the tag go-service/v1.1.0.")

	pr, err := waitOpenPR(ctx, w, opts, service, "the upgrade pull request")
	if err != nil {
		return err
	}
	say("10. The bot opened %s/%s#%d %q from %s (draft: %v). Its diff:\n", org, service, pr.Number, pr.Title, pr.Head, pr.Draft)
	head, err := w.Sim.Files(org, service, pr.Head)
	if err != nil {
		return err
	}
	base, err := w.Sim.Files(org, service, "main")
	if err != nil {
		return err
	}
	say("%s", indent(diffTrees(base, head), "     "))
	merged := string(head["README.md"])
	if !strings.Contains(merged, "On call: #payments-oncall") || !strings.Contains(merged, "follow [the runbook]") {
		return fmt.Errorf("the upgrade lost a side's change to README.md:\n%s", merged)
	}
	say("\n    README.md on the branch keeps %s's on-call line and gains the template's new line (3-way merge).", developer)
	say("\n11. The pull request's description:\n\n%s\n", indent(pr.Body, "     | "))

	if _, err := w.Sim.MergePR(org, service, pr.Number, developer); err != nil {
		return fmt.Errorf("merging the upgrade: %w", err)
	}
	if err := sandbox.WaitFor(ctx, opts.Timeout, "the fleet index to record v1.1.0", func() bool {
		rec, err := w.App.Fleet.Get(ctx, org, service)
		return err == nil && rec.Version == "1.1.0"
	}); err != nil {
		return err
	}
	say("12. %s merges it; the fleet index now has %s/%s on go-service v1.1.0.", developer, org, service)

	var dashboard string
	if err := sandbox.WaitFor(ctx, opts.Timeout, "the fleet dashboard", func() bool {
		for _, is := range w.Sim.Issues(org, w.TemplatesRepo) {
			if is.Title == "Golden path fleet" && strings.Contains(is.Body, "v1.1.0") {
				dashboard = is.Body
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	say("13. The fleet dashboard issue in %s/%s:\n\n%s\n", org, w.TemplatesRepo, indent(dashboard, "     | "))
	return nil
}

// diffTrees shows what changes from a to b as unified diffs, file by file.
func diffTrees(a, b map[string][]byte) string {
	paths := map[string]bool{}
	for p := range a {
		paths[p] = true
	}
	for p := range b {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	var out strings.Builder
	for _, p := range sorted {
		oldName, newName := "a/"+p, "b/"+p
		if _, ok := a[p]; !ok {
			oldName = "/dev/null"
		}
		if _, ok := b[p]; !ok {
			newName = "/dev/null"
		}
		out.WriteString(merge.UnifiedDiff(oldName, newName, a[p], b[p], 3))
	}
	return out.String()
}

// ours keeps goldenpath's labels (GitHub's defaults are there too).
func ours(labels []string) []string {
	var out []string
	for _, l := range labels {
		if strings.HasPrefix(l, "goldenpath") || strings.HasPrefix(l, "template:") {
			out = append(out, l)
		}
	}
	return out
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
