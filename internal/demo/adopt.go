package demo

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
)

// adopted is the repository that existed before goldenpath.
const adopted = "billing"

// adoptionStory brings an existing repository, with its own README,
// Dockerfile and CODEOWNERS, onto the go-service golden path through one
// adoption pull request, and merges it.
func adoptionStory(ctx context.Context, w *sandbox.World, opts Options, say func(string, ...any)) error {
	skel, err := fs.ReadFile(sandbox.BuiltinTemplates(), "templates/go-service/skeleton/Dockerfile")
	if err != nil {
		return err
	}
	dockerfile := strings.ReplaceAll(string(skel), "{{ .name }}", adopted) + "LABEL org.opencontainers.image.vendor=acme-billing\n"
	if err := w.Sim.CreateRepo(org, adopted, githubsim.RepoOptions{Description: "Bills customers every month."}); err != nil {
		return err
	}
	if _, err := w.Sim.Push(org, adopted, "main", map[string][]byte{
		"README.md":  []byte("# Billing\n\nBills customers every month. Ask #billing.\n"),
		"Dockerfile": []byte(dockerfile),
		"CODEOWNERS": []byte("* @" + org + "/" + team + "\n"),
		"main.go":    []byte("package main\n\nfunc main() {}\n"),
	}, "Billing as it has run for years", developer); err != nil {
		return err
	}
	say("7.1. %s/%s existed before goldenpath: its own README.md, Dockerfile (with a line of its own) and CODEOWNERS (* @%s/%s).", org, adopted, org, team)

	number, err := w.FileAdoption(sandbox.BuiltinTemplates(), tmplName, developer, []string{adopted}, map[string]any{"system": "billing"})
	if err != nil {
		return fmt.Errorf("filing the adoption request: %w", err)
	}
	say("7.2. %s filed adoption issue #%d with the \"Adopt go-service\" form (Repositories: %s; System: billing).", developer, number, adopted)
	if err := sandbox.WaitFor(ctx, opts.Timeout, "the adoption request to be done", func() bool {
		is, err := w.Sim.Issue(org, w.TemplatesRepo, number)
		return err == nil && is.State == "closed"
	}); err != nil {
		return fmt.Errorf("%w; the bot said: %s", err, lastComment(w.Sim, org, w.TemplatesRepo, number))
	}
	prs := w.Sim.PullRequests(org, adopted)
	if len(prs) != 1 {
		return fmt.Errorf("%s/%s has %d pull requests, want one adoption", org, adopted, len(prs))
	}
	pr := prs[0]
	say("7.3. The bot opened %s/%s#%d %q from %s, and its comment on #%d says:\n\n%s\n", org, adopted, pr.Number, pr.Title, pr.Head, number,
		indent(lastComment(w.Sim, org, w.TemplatesRepo, number), "     | "))
	say("     The pull request's file lists (nothing the repository has is changed):\n\n%s\n", indent(strings.TrimSpace(pr.Body), "     | "))

	if _, err := w.Sim.MergePR(org, adopted, pr.Number, developer); err != nil {
		return fmt.Errorf("merging the adoption: %w", err)
	}
	if err := sandbox.WaitFor(ctx, opts.Timeout, "the fleet index to record the adoption", func() bool {
		rec, err := w.App.Fleet.Get(ctx, org, adopted)
		return err == nil && rec.Version == "1.0.0"
	}); err != nil {
		return err
	}
	say("7.4. %s merges it: %s/%s is in the fleet on go-service v1.0.0, so the next version reaches it as an upgrade.", developer, org, adopted)
	return nil
}

// adoptedUpgrade shows the version published in the upgrade story reaching
// the adopted repository as an upgrade pull request merged into its own
// Dockerfile.
func adoptedUpgrade(ctx context.Context, w *sandbox.World, opts Options, say func(string, ...any)) error {
	pr, err := waitOpenPR(ctx, w, opts, adopted, "the adopted repository's upgrade pull request")
	if err != nil {
		return err
	}
	base, err := w.Sim.Files(org, adopted, "main")
	if err != nil {
		return err
	}
	head, err := w.Sim.Files(org, adopted, pr.Head)
	if err != nil {
		return err
	}
	say("13.1. v1.1.0 reached the adopted %s/%s too: %q (#%d, draft: %v). Its README.md is the team's own, so the template's new line is", org, adopted, pr.Title, pr.Number, pr.Draft)
	say("      3-way merged into it (conflicts are marked for the team to settle). Its diff:\n")
	say("%s", indent(diffTrees(base, head), "     "))
	return nil
}

// waitOpenPR waits for an open pull request in org/repo and returns it.
func waitOpenPR(ctx context.Context, w *sandbox.World, opts Options, repo, what string) (githubsim.IssueInfo, error) {
	var pr githubsim.IssueInfo
	err := sandbox.WaitFor(ctx, opts.Timeout, what, func() bool {
		for _, p := range w.Sim.PullRequests(org, repo) {
			if p.State == "open" {
				pr = p
				return true
			}
		}
		return false
	})
	return pr, err
}
