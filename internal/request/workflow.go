package request

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// DefaultTemplatesRepo is the templates repository's name (SPEC §2).
const DefaultTemplatesRepo = "golden-paths"

// PolicyFileName is the org policy at the templates repository's root.
const PolicyFileName = config.PolicyFile

// Config holds the workflow's dependencies.
type Config struct {
	// Client returns the GitHub client of an installation (cached by the caller).
	Client func(ctx context.Context, installationID int64) (GitHub, error)
	// Fleet records created repositories for template upgrades.
	Fleet Fleet
	// Shared, when set, is the cache of the templates repository that all
	// replicas share: a replica with nothing in memory reads the tags and
	// the template archive there instead of from GitHub.
	Shared SharedCache
	// TemplatesRepo is the templates repository's name in each account.
	TemplatesRepo string
	Logger        *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// RenderTimeout bounds a render (template.DefaultRenderTimeout when zero).
	RenderTimeout time.Duration
}

// Workflow runs requests. It is safe for concurrent use; one issue is worked
// by one goroutine at a time in this process.
type Workflow struct {
	cfg   Config
	locks keylock.Map

	mu       sync.Mutex
	done     map[string]time.Time // issue URL → when this process finished it
	tags     map[string]cachedTags
	policies map[string]cachedPolicy
}

// New checks cfg and returns a Workflow.
func New(cfg Config) (*Workflow, error) {
	if cfg.Client == nil {
		return nil, errors.New("request workflow: Config.Client is required")
	}
	if cfg.Fleet == nil {
		return nil, errors.New("request workflow: Config.Fleet is required")
	}
	if cfg.TemplatesRepo == "" {
		cfg.TemplatesRepo = DefaultTemplatesRepo
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Workflow{cfg: cfg, done: map[string]time.Time{}, tags: map[string]cachedTags{}, policies: map[string]cachedPolicy{}}, nil
}

// request is one attempt at a request, from an issue event or a comment.
type request struct {
	ref      IssueRef
	url      string
	body     string
	author   string
	labels   []string
	approver string // who commented /approve, when that is the trigger
	repeat   bool   // the trigger repeats one this process may have finished
	log      *slog.Logger
}

func (r *request) hasLabel(l string) bool {
	for _, x := range r.labels {
		if strings.EqualFold(x, l) {
			return true
		}
	}
	return false
}

// inTemplatesRepo reports whether an event is about the templates repository.
func (w *Workflow) inTemplatesRepo(repo string) bool {
	return strings.EqualFold(repo, w.cfg.TemplatesRepo)
}

// IsTemplatesRepo tells whether repo (a name in any account) is the
// templates repository: pushes to it call for EnsureLabels.
func (w *Workflow) IsTemplatesRepo(repo string) bool { return w.inTemplatesRepo(repo) }

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
		tags, err := w.listTags(ctx, gh, ref.Org, ref.Repo, false)
		if err != nil {
			return fmt.Errorf("explaining a failure: %w", err)
		}
		l, err := w.recognise(ctx, gh, r, tags)
		if err != nil || l == nil {
			return err
		}
	}
	p := problem{
		headline: "goldenpath could not finish this request",
		text: "It kept failing after several attempts; the last error was:\n\n```\n" + oneLine(cause) + "\n```\n\n" +
			"Nothing is lost: comment `/retry` to run the request again. If it fails again, ask the maintainers of the templates repository.",
	}
	if _, err := gh.UpsertComment(ctx, ref.Org, ref.Repo, ref.Number, Marker, p.body()); err != nil {
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

// EnsureLabels creates the labels requests use in the templates repository
// (GitHub drops form labels that do not exist): goldenpath, the two status
// labels and template:<name> for every template with a published tag (only
// those can be requested; a tag push is a push, so a new template gets its
// label when it is first published). Call it on installation and on pushes
// to the templates repository: it also rereads the tags and goldenpath.yaml
// and loads every template's published version into the client's cache, so
// requests stay cheap. Requests: the tags, the policy, the labels, one per
// missing label, two per template version not cached yet.
func (w *Workflow) EnsureLabels(ctx context.Context, installationID int64, org string) error {
	gh, err := w.cfg.Client(ctx, installationID)
	if err != nil {
		return fmt.Errorf("ensuring labels: getting a client for installation %d: %w", installationID, err)
	}
	repo := w.cfg.TemplatesRepo
	names := map[string]bool{}
	tags, err := w.listTags(ctx, gh, org, repo, true)
	if errors.Is(err, github.ErrNotFound) || errors.Is(err, github.ErrConflict) {
		// No templates repository yet (or not shared with the App, or still
		// empty): nothing to label. The push that creates it comes back here.
		w.cfg.Logger.Info("no templates repository to label yet", "org", org, "repo", repo, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("ensuring labels: %w", err)
	}
	if _, err := w.policy(ctx, gh, org, repo, true); err != nil {
		return fmt.Errorf("ensuring labels: %w", err)
	}
	tagNames := make([]string, len(tags))
	for i, t := range tags {
		tagNames[i] = t.Name
		if n, _, ok := template.ParseTag(t.Name); ok {
			names[n] = true
		}
	}
	// Warm the client's tree cache and the shared cache with every
	// template's published version, so a request on any replica pays no
	// archive download.
	for _, n := range sortedKeys(names) {
		if tag, _, ok := template.LatestVersion(tagNames, n); ok {
			if _, err := w.readTree(ctx, gh, org, repo, treeRef(tags, tag)); err != nil {
				w.cfg.Logger.Warn("prefetching a template", "org", org, "tag", tag, "err", err)
			}
		}
	}
	labels := []github.Label{
		{Name: LabelRequest, Color: "5319e7", Description: "A request to goldenpath"},
		{Name: LabelNeedsChanges, Color: "d93f0b", Description: "goldenpath found problems: edit the issue"},
		{Name: LabelCreated, Color: "0e8a16", Description: "goldenpath created the repository"},
	}
	for _, n := range sortedKeys(names) {
		labels = append(labels, github.Label{Name: TemplateLabelPfx + n, Color: "1d76db", Description: "A new repository from the " + n + " template"})
	}
	if err := gh.EnsureLabels(ctx, org, repo, labels); err != nil {
		return fmt.Errorf("ensuring labels in %s/%s: %w", org, repo, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// finished reports whether this process already completed the request.
// It spares redeliveries and the labeled events GitHub sends beside
// opened every GitHub request; correctness never depends on it.
func (w *Workflow) finished(url string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.done[url]
	return ok
}

const maxDone = 10000

func (w *Workflow) markFinished(url string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.done) >= maxDone {
		// Forget entries older than an hour, and more if still full: the
		// memo only spares requests, correctness never depends on it.
		cut := w.cfg.Now().Add(-time.Hour)
		for k, t := range w.done {
			if t.Before(cut) || len(w.done) >= maxDone {
				delete(w.done, k)
			}
		}
	}
	w.done[url] = w.cfg.Now()
}

// run serialises work on one issue in this process and runs the request.
func (w *Workflow) run(ctx context.Context, r *request) error {
	unlock := w.locks.Lock(r.url)
	defer unlock()
	if r.repeat && w.finished(r.url) {
		r.log.Debug("request already finished by this process")
		return nil
	}
	gh, err := w.cfg.Client(ctx, r.ref.InstallationID)
	if err != nil {
		return fmt.Errorf("getting a client for installation %d: %w", r.ref.InstallationID, err)
	}
	return w.process(ctx, gh, r)
}

// loaded is a template at its published version, with the org policy.
type loaded struct {
	tmpl    *template.Template
	tag     string
	version *semver.Version
}

// process is the request flow (SPEC §5). Problems the requester must act
// on end in the request's comment and a nil error.
func (w *Workflow) process(ctx context.Context, gh GitHub, r *request) error {
	org, repo := r.ref.Org, r.ref.Repo
	name := templateFromLabels(r.labels)
	var tags []github.Tag
	var l *loaded
	if name == "" {
		// No template label (GitHub dropped it): recognise the form's headings.
		var err error
		if tags, err = w.listTags(ctx, gh, org, repo, false); err != nil {
			return err
		}
		if l, err = w.recognise(ctx, gh, r, tags); err != nil || l == nil {
			return err
		}
		name = l.tmpl.Manifest.Name
	}
	r.log = r.log.With("template", name)

	// Only members ask: author_association hides private members, the API does not.
	member, err := gh.IsOrgMember(ctx, org, r.author)
	if err != nil {
		return fmt.Errorf("checking that %s is a member of %s: %w", r.author, org, err)
	}
	if !member {
		return w.reply(ctx, gh, r, name, problem{
			headline: "Only members of " + org + " can request repositories",
			text: fmt.Sprintf("@%s is not a member of the %s organization (or the membership is not visible to goldenpath), so goldenpath does not act on this request.",
				r.author, org),
		})
	}

	if l == nil {
		if tags, err = w.listTags(ctx, gh, org, repo, false); err != nil {
			return err
		}
		var p *problem
		if l, p, err = w.load(ctx, gh, org, repo, name, tags); err != nil {
			return err
		}
		if p != nil && p.noVersion {
			// Perhaps published a moment ago through another replica: look again.
			if tags, err = w.listTags(ctx, gh, org, repo, true); err != nil {
				return err
			}
			if l, p, err = w.load(ctx, gh, org, repo, name, tags); err != nil {
				return err
			}
		}
		if p != nil {
			return w.reply(ctx, gh, r, name, *p)
		}
	}
	m := l.tmpl.Manifest
	version := l.version.String()
	r.log = r.log.With("version", version)

	raw, err := issueform.ParseBody(m, r.body)
	if err != nil {
		return w.reply(ctx, gh, r, name, problem{
			headline:     "This request needs changes",
			text:         "goldenpath could not read the answers in the issue: " + mdEscape(err.Error()) + "\n\nPlease file the request with the **" + mdEscape(m.Title) + "** form, or keep its headings when you edit.\n\n" + editHint,
			needsChanges: true,
		})
	}
	answers, err := m.Validate(raw)
	var ve *template.ValidationError
	if errors.As(err, &ve) {
		return w.reply(ctx, gh, r, name, validationProblem(l.tmpl, version, ve))
	} else if err != nil {
		return fmt.Errorf("validating answers: %w", err)
	}
	newName, _ := answers["name"].(string)
	owner, _ := answers["owner"].(string)

	pol, err := w.policy(ctx, gh, org, repo, false)
	if err != nil {
		return err
	}
	if pol.err != nil {
		return w.reply(ctx, gh, r, name, problem{
			headline: "The organization policy is broken",
			text: fmt.Sprintf("goldenpath could not read `%s` in %s/%s, so it creates no repository until it is fixed:\n\n```\n%s\n```\n\nThe maintainers of the templates repository must fix it; then comment `/retry`.",
				PolicyFileName, org, repo, oneLine(pol.err)),
		})
	}
	if p, err := w.mayRequest(ctx, gh, r, pol.policy); err != nil || p != nil {
		if err != nil {
			return err
		}
		return w.reply(ctx, gh, r, name, *p)
	}

	files, err := template.RenderCtx(ctx, l.tmpl, answers, template.RenderContext{Org: org, Timeout: w.cfg.RenderTimeout})
	if err != nil {
		r.log.Warn("template does not render", "err", err)
		return w.reply(ctx, gh, r, name, problem{
			headline: "The " + name + " template failed to render",
			text: fmt.Sprintf("goldenpath could not render **%s** v%s with these answers, so no repository was created:\n\n```\n%s\n```\n\n"+
				"This is a fault in the template, not in your answers: the maintainers of %s/%s must fix it and publish a new version. Then comment `/retry`.",
				name, version, oneLine(err), org, repo),
		})
	}

	if p, err := w.checkOwner(ctx, gh, r, m, pol.policy, owner); err != nil || p != nil {
		if err != nil {
			return err
		}
		return w.reply(ctx, gh, r, name, *p)
	}

	// Last, so approvers are asked only about a request that can go ahead.
	if p, err := w.approved(ctx, gh, r, pol.policy); err != nil || p != nil {
		if err != nil {
			return err
		}
		return w.reply(ctx, gh, r, name, *p)
	}

	af := template.AnswersFile{Template: name, Version: version, Source: org + "/" + repo, Answers: answers, Request: r.url}
	out := make(map[string]github.File, len(files)+1)
	for _, f := range files {
		out[f.Path] = github.File{Data: f.Data, Mode: f.Mode}
	}
	// The answers file is goldenpath's to write, whatever the skeleton holds.
	out[template.AnswersFileName] = github.File{Data: af.Marshal(), Mode: 0o644}
	opts := github.RepoOptions{
		Visibility:  visibility(pol.policy),
		Description: description(answers),
		Topics:      topics(name, pol.policy),
	}
	msg := fmt.Sprintf("Create %s from the %s template v%s\n\nRequested in %s", newName, name, version, r.url)
	created, err := gh.CreateRepoWithFiles(ctx, org, newName, opts, out, msg)
	recovering := false
	switch {
	case err == nil:
		r.log.Info("repository created", "repository", org+"/"+newName, "files", len(out))
	case errors.Is(err, github.ErrAlreadyExists):
		adopt := func() (*github.Repo, error) {
			opts.AdoptPristine = true
			return gh.CreateRepoWithFiles(ctx, org, newName, opts, out, msg)
		}
		var p *problem
		var prev *template.AnswersFile
		if created, prev, p, err = w.claim(ctx, gh, r, m, newName, created, opts.Description, adopt); err != nil {
			return err
		}
		if p != nil {
			return w.reply(ctx, gh, r, name, *p)
		}
		if prev != nil {
			// Finish what the repository records, even if the issue was
			// edited or a newer version was published since.
			recovering = true
			version = prev.Version
			if o, ok := prev.Answers["owner"].(string); ok && o != "" {
				owner = o
			}
		}
	case errors.Is(err, github.ErrValidation):
		// GitHub refused the repository's settings (such as internal
		// visibility outside an enterprise): retrying cannot help.
		return w.reply(ctx, gh, r, name, problem{
			headline: "GitHub refused to create the repository",
			text: fmt.Sprintf("GitHub refused to create %s/%s:\n\n```\n%s\n```\n\nIf this is about the repository settings in `%s`, the maintainers of %s/%s must fix them; then comment `/retry`.",
				org, newName, oneLine(err), PolicyFileName, org, repo),
		})
	default:
		return fmt.Errorf("creating repository %s/%s: %w", org, newName, err)
	}

	if err := gh.GrantTeam(ctx, org, owner, org, newName, "maintain"); err != nil {
		return fmt.Errorf("granting team %s access to %s/%s: %w", owner, org, newName, err)
	}
	if recovering && !slices.Equal(created.Topics, opts.Topics) {
		// The attempt may have stopped before the topics were set.
		if err := gh.SetTopics(ctx, org, newName, opts.Topics); err != nil {
			return fmt.Errorf("setting topics of %s/%s: %w", org, newName, err)
		}
	}
	if err := w.cfg.Fleet.Upsert(ctx, fleet.Repo{
		InstallationID: r.ref.InstallationID, Owner: org, Name: newName, Template: name, Version: version,
		DefaultBranch: created.DefaultBranch, Request: r.url,
	}); err != nil {
		return fmt.Errorf("recording %s/%s in the fleet index: %w", org, newName, err)
	}
	link := created.HTMLURL
	if link == "" {
		link = "https://github.com/" + org + "/" + newName
	}
	success := problem{
		headline: "Created " + org + "/" + newName,
		text: fmt.Sprintf("goldenpath created **[%s/%s](%s)** from the **%s** template v%s. The team %s can maintain it.\n\n"+
			"Its first commit holds every file of the template and `%s`, which template upgrades read: when a new version of %s is published, goldenpath opens a pull request there.",
			org, newName, link, name, version, code("@"+org+"/"+owner), template.AnswersFileName, name),
	}
	if _, err := gh.UpsertComment(ctx, org, repo, r.ref.Number, Marker, success.body()); err != nil {
		return fmt.Errorf("commenting on %s/%s#%d: %w", org, repo, r.ref.Number, err)
	}
	// One write labels and closes the issue. The label set is built from the
	// event's labels, so a label someone adds in the instant between the
	// event and this write is lost: a fair price for a request that is done.
	final := doneLabels(r.labels, LabelCreated, LabelRequest, TemplateLabelPfx+name)
	if err := gh.CloseWithLabels(ctx, org, repo, r.ref.Number, "completed", final); err != nil {
		return fmt.Errorf("closing %s/%s#%d: %w", org, repo, r.ref.Number, err)
	}
	r.labels = final
	w.markFinished(r.url)
	return nil
}

// doneLabels is the label set of a finished request: the issue's labels,
// plus add where missing, without goldenpath:needs-changes (compared as
// GitHub compares label names, case-insensitively).
func doneLabels(have []string, add ...string) []string {
	out := make([]string, 0, len(have)+len(add))
	seen := map[string]bool{strings.ToLower(LabelNeedsChanges): true}
	for _, l := range append(slices.Clone(have), add...) {
		if k := strings.ToLower(l); l != "" && !seen[k] {
			seen[k] = true
			out = append(out, l)
		}
	}
	return out
}

func titleOf(m *template.Manifest, id string) string {
	if p, ok := m.Param(id); ok {
		return p.Title
	}
	return id
}

func templateFromLabels(labels []string) string {
	var names []string
	for _, l := range labels {
		if len(l) > len(TemplateLabelPfx) && strings.EqualFold(l[:len(TemplateLabelPfx)], TemplateLabelPfx) {
			names = append(names, l[len(TemplateLabelPfx):])
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func visibility(p config.Policy) string {
	if p.Repository.Visibility == "" {
		return config.VisibilityPrivate
	}
	return p.Repository.Visibility
}

func description(a template.Answers) string {
	d, _ := a["description"].(string)
	// GitHub wants one line of at most 350 characters.
	r := []rune(strings.Join(strings.Fields(d), " "))
	if len(r) > 350 {
		r = append(r[:349], '…')
	}
	return string(r)
}

// topics are the repository's topics: goldenpath, template-<name> and the
// policy's, deduplicated and in a stable order.
func topics(name string, p config.Policy) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append([]string{"goldenpath", "template-" + name}, p.Repository.Topics...) {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// treeRef is what ReadTree is given for tag: its commit SHA when the tag
// points at a commit (no request to resolve it; the cache answers), else its name.
func treeRef(tags []github.Tag, tag string) string {
	for _, t := range tags {
		if t.Name == tag && t.SHA != "" && t.Type == "commit" {
			return t.SHA
		}
	}
	return tag
}

// tagTTL bounds how long a replica trusts its list of the templates
// repository's tags. The replica that works a push to the templates
// repository refreshes it at once (EnsureLabels); the others within tagTTL,
// or at once when a request names a template they have no version of.
const tagTTL = 10 * time.Minute

type cachedTags struct {
	tags []github.Tag
	at   time.Time
}

// sharedTagTTL bounds how old a tag list read from the shared cache may be.
// Whichever replica works a push to the templates repository stores a fresh
// list there (EnsureLabels), so the shared list is current in steady state;
// the hour only bounds what a missed push delivery costs.
const sharedTagTTL = time.Hour

// listTags lists the tags of the templates repository: from this process's
// memory (younger than tagTTL), else from the shared cache (read from GitHub
// less than sharedTagTTL ago), else from GitHub, stored in both. fresh asks
// GitHub whatever the caches hold.
func (w *Workflow) listTags(ctx context.Context, gh GitHub, org, repo string, fresh bool) ([]github.Tag, error) {
	key := strings.ToLower(org + "/" + repo)
	w.mu.Lock()
	c, ok := w.tags[key]
	w.mu.Unlock()
	if ok && !fresh && w.cfg.Now().Sub(c.at) < tagTTL {
		return c.tags, nil
	}
	remember := func(tags []github.Tag) {
		w.mu.Lock()
		w.tags[key] = cachedTags{tags: tags, at: w.cfg.Now()}
		w.mu.Unlock()
	}
	if w.cfg.Shared != nil && !fresh {
		tags, at, ok, err := w.cfg.Shared.Tags(ctx, org, repo)
		switch {
		case err != nil:
			// The shared cache only spares requests: GitHub answers instead.
			w.cfg.Logger.Warn("reading the shared tag list", "org", org, "repo", repo, "err", err)
		case ok && w.cfg.Now().Sub(at) < sharedTagTTL:
			remember(tags)
			return tags, nil
		}
	}
	fetched := w.cfg.Now()
	tags, err := gh.ListTags(ctx, org, repo, "")
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s/%s: %w", org, repo, err)
	}
	remember(tags)
	if w.cfg.Shared != nil {
		if err := w.cfg.Shared.PutTags(ctx, org, repo, tags, fetched); err != nil {
			w.cfg.Logger.Warn("storing the shared tag list", "org", org, "repo", repo, "err", err)
		}
	}
	return tags, nil
}

// readTree returns the files of the templates repository at ref. A commit
// SHA (a lightweight tag's target, which is what tags point at) is looked up
// in the client's memory, then in the shared cache, and only then downloaded
// from GitHub and shared: a commit's files never change. Other refs (an
// annotated tag) go to ReadTree, which resolves them first.
func (w *Workflow) readTree(ctx context.Context, gh GitHub, org, repo, ref string) (map[string]github.File, error) {
	sha := strings.ToLower(ref)
	if !github.IsCommitSHA(sha) {
		files, _, err := gh.ReadTree(ctx, org, repo, ref)
		return files, err
	}
	if files, ok := gh.CachedTree(org, repo, sha); ok {
		return files, nil
	}
	if w.cfg.Shared != nil {
		files, ok, err := w.cfg.Shared.Archive(ctx, org, repo, sha)
		switch {
		case err != nil:
			w.cfg.Logger.Warn("reading a shared template archive", "org", org, "repo", repo, "sha", sha, "err", err)
		case ok:
			gh.CacheTree(org, repo, sha, files)
			return files, nil
		}
	}
	files, _, err := gh.ReadTree(ctx, org, repo, sha)
	if err != nil {
		return nil, err
	}
	if w.cfg.Shared != nil {
		// Too large an archive is simply not shared: each replica downloads it.
		if err := w.cfg.Shared.PutArchive(ctx, org, repo, sha, files); err != nil {
			w.cfg.Logger.Warn("storing a shared template archive", "org", org, "repo", repo, "sha", sha, "err", err)
		}
	}
	return files, nil
}

// policyTTL bounds how long a replica trusts its copy of goldenpath.yaml.
// It is short because the policy guards who may create repositories; the
// replica that works a push to the templates repository rereads it at once.
const policyTTL = time.Minute

type cachedPolicy struct {
	policy config.Policy
	err    error // the file does not parse: requests wait until it is fixed
	at     time.Time
}

// policy reads goldenpath.yaml from the default branch of the templates
// repository (where its maintainers edit it: a change applies at once, not
// at the next template tag), through a short cache.
func (w *Workflow) policy(ctx context.Context, gh GitHub, org, repo string, fresh bool) (cachedPolicy, error) {
	key := strings.ToLower(org + "/" + repo)
	w.mu.Lock()
	c, ok := w.policies[key]
	w.mu.Unlock()
	if ok && !fresh && w.cfg.Now().Sub(c.at) < policyTTL {
		return c, nil
	}
	data, _, err := gh.GetFile(ctx, org, repo, PolicyFileName, "")
	switch {
	case errors.Is(err, github.ErrNotFound):
		c = cachedPolicy{policy: config.DefaultPolicy()}
	case err != nil:
		return cachedPolicy{}, fmt.Errorf("reading %s of %s/%s: %w", PolicyFileName, org, repo, err)
	default:
		c = cachedPolicy{}
		c.policy, c.err = config.ParsePolicy(data)
	}
	c.at = w.cfg.Now()
	w.mu.Lock()
	w.policies[key] = c
	w.mu.Unlock()
	return c, nil
}

// load reads the templates repository at the template's highest published
// tag: the template and the org policy from one archive.
func (w *Workflow) load(ctx context.Context, gh GitHub, org, repo, name string, tags []github.Tag) (*loaded, *problem, error) {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	tag, v, ok := template.LatestVersion(names, name)
	if !ok {
		return nil, &problem{
			noVersion: true,
			headline:  "The " + name + " template has no published version",
			text: fmt.Sprintf("goldenpath only creates repositories from published versions, and %s/%s has no tag `%s/vX.Y.Z` yet. "+
				"The maintainers of the templates repository publish one by pushing such a tag; then comment `/retry`.", org, repo, name),
		}, nil
	}
	files, err := w.readTree(ctx, gh, org, repo, treeRef(tags, tag))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s/%s at %s: %w", org, repo, tag, err)
	}
	return w.fromTree(files, org, repo, name, tag, v)
}

func (w *Workflow) fromTree(files map[string]github.File, org, repo, name, tag string, v *semver.Version) (*loaded, *problem, error) {
	fsys := treeFS(files)
	sub, err := fs.Sub(fsys, path.Join(template.TemplatesDir, name))
	if err != nil {
		return nil, nil, fmt.Errorf("opening template %s: %w", name, err)
	}
	t, err := template.Load(sub)
	if err != nil {
		return nil, &problem{
			headline: "The " + name + " template is broken",
			text: fmt.Sprintf("goldenpath could not load the **%s** template at `%s`, so no repository was created:\n\n```\n%s\n```\n\n"+
				"This is a fault in the template: the maintainers of %s/%s must fix it and publish a new version. Then comment `/retry`.",
				name, tag, oneLine(err), org, repo),
		}, nil
	}
	return &loaded{tmpl: t, tag: tag, version: v}, nil, nil
}

// recognise finds the template whose form headings the body carries, among
// every template's highest published version. It returns nil, nil for an
// issue that is not a request: the bot stays silent on those.
func (w *Workflow) recognise(ctx context.Context, gh GitHub, r *request, tags []github.Tag) (*loaded, error) {
	org, repo := r.ref.Org, r.ref.Repo
	names := make([]string, len(tags))
	templates := map[string]bool{}
	for i, t := range tags {
		names[i] = t.Name
		if n, _, ok := template.ParseTag(t.Name); ok {
			templates[n] = true
		}
	}
	var best *loaded
	bestScore := 0
	for _, name := range sortedKeys(templates) {
		if _, _, ok := template.LatestVersion(names, name); !ok {
			continue
		}
		l, p, err := w.load(ctx, gh, org, repo, name, tags)
		if err != nil {
			return nil, err
		}
		if p != nil || !issueform.LooksLikeRequest(l.tmpl.Manifest, r.body) {
			continue // a broken version cannot be recognised
		}
		// Templates share titles (every one asks for a name and an owner):
		// the form whose headings fit the body best wins.
		if score := headingScore(l.tmpl.Manifest, r.body); best == nil || score > bestScore {
			best, bestScore = l, score
		}
	}
	if best != nil {
		r.log.Info("recognised a request without its template label by its headings", "template", best.tmpl.Manifest.Name)
	}
	return best, nil
}

// headingScore counts the manifest's titles present as headings in body,
// minus those absent.
func headingScore(m *template.Manifest, body string) int {
	present := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			present[strings.ToLower(strings.TrimSpace(h))] = true
		}
	}
	score := 0
	for _, p := range m.Parameters {
		if present[strings.ToLower(p.Title)] {
			score++
		} else {
			score--
		}
	}
	return score
}

// mayRequest applies the policy's requester teams. It returns the problem
// to show when the author may not request repositories.
func (w *Workflow) mayRequest(ctx context.Context, gh GitHub, r *request, pol config.Policy) (*problem, error) {
	org := r.ref.Org
	if len(pol.Requesters.Teams) > 0 {
		allowed := false
		for _, t := range pol.Requesters.Teams {
			ok, err := gh.IsTeamMember(ctx, org, t, r.author)
			if err != nil {
				return nil, fmt.Errorf("checking that %s is in team %s/%s: %w", r.author, org, t, err)
			}
			if ok {
				allowed = true
				break
			}
		}
		if !allowed {
			return &problem{
				headline: "You may not request repositories",
				text: fmt.Sprintf("The policy of %s (`%s`) lets only members of %s request repositories, and @%s is in none of them.",
					org, PolicyFileName, teamList(org, pol.Requesters.Teams), r.author),
			}, nil
		}
	}
	return nil, nil
}

// approved applies the policy's approval: the request waits until a member
// of the approvers team (not its author) comments /approve. It returns the
// problem to show while it waits.
func (w *Workflow) approved(ctx context.Context, gh GitHub, r *request, pol config.Policy) (*problem, error) {
	org := r.ref.Org
	if !pol.Approval.Required {
		return nil, nil
	}
	team := pol.Approval.Approvers
	waiting := fmt.Sprintf("The policy of %s (`%s`) requires an approval: a member of %s comments `/approve` on this issue, and goldenpath then creates the repository.",
		org, PolicyFileName, teamList(org, []string{team}))
	if r.approver == "" {
		return &problem{headline: "Waiting for approval", text: waiting}, nil
	}
	if strings.EqualFold(r.approver, r.author) {
		return &problem{headline: "Waiting for approval", text: waiting + "\n\n@" + r.approver + " filed this request and cannot approve it."}, nil
	}
	ok, err := gh.IsTeamMember(ctx, org, team, r.approver)
	if err != nil {
		return nil, fmt.Errorf("checking that %s is in team %s/%s: %w", r.approver, org, team, err)
	}
	if !ok {
		return &problem{headline: "Waiting for approval", text: waiting + "\n\nThe `/approve` of @" + r.approver + " does not count: they are not a member of that team."}, nil
	}
	r.log.Info("request approved", "approver", r.approver)
	return nil, nil
}

func teamList(org string, teams []string) string {
	out := make([]string, len(teams))
	for i, t := range teams {
		out[i] = "`@" + org + "/" + t + "`"
	}
	return strings.Join(out, ", ")
}

// A repository of the requested name without an answers file may be this
// request's, made by an attempt that stopped between creating it and its
// first commit, or by another worker that is writing it right now.
const (
	// inProgressWindow: so young, another worker is likely still writing it.
	inProgressWindow = 30 * time.Second
	// claimWindow: older than this, an empty repository is someone else's.
	claimWindow = 10 * time.Minute
)

// claim decides what to do when a repository of the requested name already
// exists: it is this request's (its .goldenpath.yml names this issue: a
// redelivery, or a crash after the commit) and only the remaining steps are
// run (resumed = true); or it is a recent empty repository that an earlier
// attempt created and the files are written into it; or it belongs to
// someone else and stays untouched (a problem for the requester).
func (w *Workflow) claim(ctx context.Context, gh GitHub, r *request, m *template.Manifest, name string,
	existing *github.Repo, description string, adopt func() (*github.Repo, error)) (repo *github.Repo, resumed *template.AnswersFile, p *problem, err error) {
	org := r.ref.Org
	if existing == nil {
		if existing, err = gh.GetRepo(ctx, org, name); err != nil {
			return nil, nil, nil, fmt.Errorf("reading repository %s/%s: %w", org, name, err)
		}
	}
	age := w.cfg.Now().Sub(existing.CreatedAt)
	// So young a repository may be another worker's, still writing it or
	// about to comment: come back when it has surely finished or died, so
	// that two workers never comment at once.
	young := &RetryLaterError{
		Wait:   inProgressWindow - age + time.Second,
		Reason: fmt.Sprintf("repository %s/%s was created %s ago, perhaps by another attempt at this request still at work", org, name, age.Round(time.Second)),
	}
	data, _, err := gh.GetFile(ctx, org, name, template.AnswersFileName, "")
	switch {
	case err == nil:
		if af, perr := template.ParseAnswersFile(data); perr == nil && af.Request == r.url {
			if age < inProgressWindow {
				return nil, nil, nil, young
			}
			r.log.Info("repository exists and names this request: finishing the remaining steps", "repository", org+"/"+name)
			return existing, &af, nil, nil
		}
	case errors.Is(err, github.ErrNotFound), errors.Is(err, github.ErrConflict):
		// Only a repository carrying this request's description can be an
		// earlier attempt's; anyone else's is answered at once.
		ours := existing.Description == description
		switch {
		case ours && age < inProgressWindow:
			return nil, nil, nil, young
		case ours && age < claimWindow:
			// Written only if it still holds nothing but GitHub's initial
			// commit: an empty repository created minutes ago with this
			// request's description is an earlier attempt's, not a person's.
			repo, err := adopt()
			switch {
			case err == nil:
				r.log.Info("wrote the files into the empty repository an earlier attempt created", "repository", org+"/"+name)
				return repo, nil, nil, nil
			case !errors.Is(err, github.ErrAlreadyExists):
				return nil, nil, nil, fmt.Errorf("writing the files into %s/%s: %w", org, name, err)
			}
		}
	default:
		return nil, nil, nil, fmt.Errorf("reading %s of %s/%s: %w", template.AnswersFileName, org, name, err)
	}
	return nil, nil, &problem{
		headline: "This request needs changes",
		text: fmt.Sprintf("- **%s**: the repository [%s/%s](https://github.com/%s/%s) already exists, and goldenpath leaves it untouched. Choose another name.\n\n%s",
			mdEscape(titleOf(m, "name")), org, name, org, name, editHint),
		needsChanges: true,
	}, nil
}

// reply shows a problem as the request's comment and sets the labels.
func (w *Workflow) reply(ctx context.Context, gh GitHub, r *request, name string, p problem) error {
	r.log.Info("request needs attention", "problem", p.headline)
	org, repo := r.ref.Org, r.ref.Repo
	if _, err := gh.UpsertComment(ctx, org, repo, r.ref.Number, Marker, p.body()); err != nil {
		return fmt.Errorf("commenting on %s/%s#%d: %w", org, repo, r.ref.Number, err)
	}
	status := ""
	if p.needsChanges {
		status = LabelNeedsChanges
	}
	return w.setLabels(ctx, gh, r, name, status)
}

// setLabels adds status (if any), goldenpath and template:<name> where
// missing, and removes goldenpath:needs-changes unless it is the status. It
// works from the event's labels, so it sends nothing when all is in place.
func (w *Workflow) setLabels(ctx context.Context, gh GitHub, r *request, name, status string) error {
	org, repo := r.ref.Org, r.ref.Repo
	var add []string
	for _, l := range []string{status, LabelRequest, TemplateLabelPfx + name} {
		if l != "" && !r.hasLabel(l) {
			add = append(add, l)
		}
	}
	if len(add) > 0 {
		if err := gh.AddLabels(ctx, org, repo, r.ref.Number, add); err != nil {
			return fmt.Errorf("labelling %s/%s#%d: %w", org, repo, r.ref.Number, err)
		}
		r.labels = append(r.labels, add...)
	}
	if status != LabelNeedsChanges && r.hasLabel(LabelNeedsChanges) {
		err := gh.RemoveLabel(ctx, org, repo, r.ref.Number, LabelNeedsChanges)
		if err != nil && !errors.Is(err, github.ErrNotFound) {
			return fmt.Errorf("removing label %s from %s/%s#%d: %w", LabelNeedsChanges, org, repo, r.ref.Number, err)
		}
	}
	return nil
}

// treeFS serves a tree read from GitHub as an fs.FS. Symbolic links stay
// links, so the renderer refuses them here as it does on disk and in the
// upgrade workflow: read as a file, a link would be rendered into a new
// repository that no later upgrade could render again.
func treeFS(files map[string]github.File) fs.FS {
	m := fstest.MapFS{}
	for p, f := range files {
		m[p] = &fstest.MapFile{Data: f.Data, Mode: f.Mode & (fs.ModePerm | fs.ModeSymlink)}
	}
	return m
}
