package request

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// HandleIssue works an `issues` event: opened, edited (body), labeled (with
// template:<name>) and reopened. Other events return nil at once.
func (w *Workflow) HandleIssue(ctx context.Context, ev IssueEvent) error {
	log := w.cfg.Logger.With("org", ev.Org, "repo", ev.Repo, "issue", ev.Number, "action", ev.Action)
	switch {
	case ev.SenderIsBot, ev.IsPullRequest, !w.inTemplatesRepo(ev.Repo), ev.State == "closed", done(ev.Labels):
		return nil
	case ev.Action == "opened", ev.Action == "reopened":
	case ev.Action == "edited" && ev.BodyChanged:
	case ev.Action == "labeled" && strings.HasPrefix(strings.ToLower(ev.Label), TemplateLabelPfx):
	default:
		return nil
	}
	return w.run(ctx, &request{
		ref: ev.Ref(), url: ev.URL, body: ev.Body, author: ev.Author, labels: ev.Labels, log: log,
		// A redelivery, or the labeled events GitHub sends beside opened.
		repeat: ev.Action == "opened" || ev.Action == "labeled",
	})
}

// HandleComment works an `issue_comment` event: `/approve` from a member of
// the approvers team approves a request that waits; `/retry` runs a request
// again (after a failure, a fixed template or a new owner team).
func (w *Workflow) HandleComment(ctx context.Context, ev CommentEvent) error {
	is := ev.Issue
	if ev.Action != "created" || is.SenderIsBot || is.IsPullRequest || !w.inTemplatesRepo(is.Repo) || is.State == "closed" || done(is.Labels) {
		return nil
	}
	if !isCommand(ev.Comment) {
		return nil
	}
	cmd := command(ev.Comment)
	log := w.cfg.Logger.With("org", is.Org, "repo", is.Repo, "issue", is.Number, "command", cmd, "commenter", ev.Commenter)
	r := &request{ref: is.Ref(), url: is.URL, body: is.Body, author: is.Author, labels: is.Labels, log: log}
	if cmd == "/approve" {
		r.approver = ev.Commenter
	}
	return w.run(ctx, r)
}

// done reports whether the labels say the request was completed: reopening
// or commenting on it does not run it again.
func done(labels []string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, LabelCreated) {
			return true
		}
	}
	return false
}

// command returns the slash command a comment starts with, if any.
func command(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[0])
}

// ExplainFailure tells the requester that goldenpath gave up on the request
// (the job was discarded after its retries) and how to try again. ev is the
// job's IssueEvent or CommentEvent.
func (w *Workflow) ExplainFailure(ctx context.Context, ev any, cause error) error {
	var is IssueEvent
	command := false
	switch e := ev.(type) {
	case IssueEvent:
		is = e
	case CommentEvent:
		is, command = e.Issue, e.Action == "created" && isCommand(e.Comment)
		if !command {
			return nil
		}
	default:
		return fmt.Errorf("explaining a failure: unknown event type %T", ev)
	}
	if is.SenderIsBot || is.IsPullRequest || !w.inTemplatesRepo(is.Repo) || is.State == "closed" {
		return nil
	}
	ref := is.Ref()
	gh, err := w.cfg.Client(ctx, ref.InstallationID)
	if err != nil {
		return fmt.Errorf("explaining a failure: getting a client for installation %d: %w", ref.InstallationID, err)
	}
	if !command && templateFromLabels(is.Labels) == "" {
		// An issue without a template label is explained only if it reads
		// as a request: the bot stays silent on ordinary issues.
		r := &request{ref: ref, body: is.Body, log: w.cfg.Logger}
		l, err := w.recognise(ctx, gh, r)
		if err != nil {
			return fmt.Errorf("explaining a failure: %w", err)
		}
		if l == nil {
			return nil
		}
	}
	if _, err := gh.UpsertComment(ctx, ref.Org, ref.Repo, ref.Number, Marker, gaveUp(cause).Body()); err != nil {
		return fmt.Errorf("explaining a failure on %s/%s#%d: %w", ref.Org, ref.Repo, ref.Number, err)
	}
	return nil
}

func isCommand(body string) bool {
	c := command(body)
	return c == "/approve" || c == "/retry"
}

func oneLine(err error) string {
	if err == nil {
		return "unknown error"
	}
	s := strings.ReplaceAll(err.Error(), "```", "'''")
	if len(s) > 1000 {
		// Cut on a character boundary: half a character is not valid UTF-8.
		cut := 1000
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
