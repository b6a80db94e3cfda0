package request

import (
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/mdtext"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Marker is the hidden marker of the one comment the bot keeps on a request.
// Every status (problems, waiting for approval, created, failed) edits it.
const Marker = "request"

// The labels the workflow reads and writes (SPEC §3, §5).
const (
	LabelRequest      = "goldenpath"
	LabelNeedsChanges = "goldenpath:needs-changes"
	LabelCreated      = "goldenpath:created"
	TemplateLabelPfx  = "template:"
)

// PolicyFileName is the org policy at the templates repository's root.
const PolicyFileName = config.PolicyFile

// Problem is something the person who filed (or approves) the request must
// act on. Checks return it as their error; the workflow shows it once as
// the request's comment. NeedsChanges adds the goldenpath:needs-changes
// label, because editing the issue fixes it.
type Problem struct {
	Headline     string
	Text         string
	NeedsChanges bool
}

func (p *Problem) Error() string { return "request problem: " + p.Headline }

// Body is the comment that shows the problem.
func (p *Problem) Body() string {
	return "### " + p.Headline + "\n\n" + strings.TrimRight(p.Text, "\n") + "\n"
}

const editHint = "Edit the issue to fix this (the `···` menu → **Edit**); goldenpath checks it again when you save."

const needsChanges = "This request needs changes"

func validationProblem(t *template.Template, version string, ve *template.ValidationError) *Problem {
	var b strings.Builder
	fmt.Fprintf(&b, "goldenpath checked the answers against the **%s** template (v%s) and found %s:\n\n",
		t.Manifest.Name, version, plural(len(ve.Problems), "problem"))
	for _, p := range ve.Problems {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdEscape(p.Title), mdEscape(p.Message))
	}
	b.WriteString("\n" + editHint)
	return &Problem{Headline: needsChanges, Text: b.String(), NeedsChanges: true}
}

func notMember(org, author string) *Problem {
	return &Problem{
		Headline: "Only members of " + org + " can request repositories",
		Text: fmt.Sprintf("@%s is not a member of the %s organization (or the membership is not visible to goldenpath), so goldenpath does not act on this request.",
			author, org),
	}
}

func noVersion(org, repo, name string) *Problem {
	return &Problem{
		Headline: "The " + name + " template has no published version",
		Text: fmt.Sprintf("goldenpath only creates repositories from published versions, and %s/%s has no tag `%s/vX.Y.Z` yet. "+
			"The maintainers of the templates repository publish one by pushing such a tag; then comment `/retry`.", org, repo, name),
	}
}

func brokenTemplate(org, repo, name, tag string, err error) *Problem {
	return &Problem{
		Headline: "The " + name + " template is broken",
		Text: fmt.Sprintf("goldenpath could not load the **%s** template at `%s`, so no repository was created:\n\n```\n%s\n```\n\n"+
			"This is a fault in the template: the maintainers of %s/%s must fix it and publish a new version. Then comment `/retry`.",
			name, tag, oneLine(err), org, repo),
	}
}

func unreadableAnswers(m *template.Manifest, err error) *Problem {
	return &Problem{
		Headline:     needsChanges,
		Text:         "goldenpath could not read the answers in the issue: " + mdEscape(err.Error()) + "\n\nPlease file the request with the **" + mdEscape(m.Title) + "** form, or keep its headings when you edit.\n\n" + editHint,
		NeedsChanges: true,
	}
}

func brokenPolicy(org, repo string, err error) *Problem {
	return &Problem{
		Headline: "The organization policy is broken",
		Text: fmt.Sprintf("goldenpath could not read `%s` in %s/%s, so it creates no repository until it is fixed:\n\n```\n%s\n```\n\nThe maintainers of the templates repository must fix it; then comment `/retry`.",
			PolicyFileName, org, repo, oneLine(err)),
	}
}

func notRequester(org, author string, teams []string) *Problem {
	return &Problem{
		Headline: "You may not request repositories",
		Text: fmt.Sprintf("The policy of %s (`%s`) lets only members of %s request repositories, and @%s is in none of them.",
			org, PolicyFileName, teamList(org, teams), author),
	}
}

func renderFailed(org, repo, name, version string, err error) *Problem {
	return &Problem{
		Headline: "The " + name + " template failed to render",
		Text: fmt.Sprintf("goldenpath could not render **%s** v%s with these answers, so no repository was created:\n\n```\n%s\n```\n\n"+
			"This is a fault in the template, not in your answers: the maintainers of %s/%s must fix it and publish a new version. Then comment `/retry`.",
			name, version, oneLine(err), org, repo),
	}
}

func noTeam(m *template.Manifest, org, owner string) *Problem {
	return &Problem{
		Headline: needsChanges,
		Text: fmt.Sprintf("- **%s**: there is no team %s in %s. Give the slug of an existing team (it is the last part of the team's URL, like `team-payments`).\n\n%s",
			mdEscape(titleOf(m, "owner")), code(owner), org, editHint),
		NeedsChanges: true,
	}
}

// notInOwnerTeam refuses an owner team the requester is not in: it would get
// maintain access to the new repository and review its changes.
func notInOwnerTeam(m *template.Manifest, org, author, owner string) *Problem {
	return &Problem{
		Headline: needsChanges,
		Text: fmt.Sprintf("- **%s**: @%s is not a member of %s, which would get maintain access to the new repository and review its changes. "+
			"Name a team you belong to, or ask a member of that team to file the request. "+
			"(The organization's `%s` can allow any owner team with `requesters: {anyOwnerTeam: true}`.)\n\n%s",
			mdEscape(titleOf(m, "owner")), author, teamList(org, []string{owner}), PolicyFileName, editHint),
		NeedsChanges: true,
	}
}

// waitingApproval is the request's status until an approver's /approve
// counts; why says why the last one did not ("" none yet).
func waitingApproval(org, team, why string) *Problem {
	text := fmt.Sprintf("The policy of %s (`%s`) requires an approval: a member of %s comments `/approve` on this issue, and goldenpath then creates the repository.",
		org, PolicyFileName, teamList(org, []string{team}))
	if why != "" {
		text += "\n\n" + why
	}
	return &Problem{Headline: "Waiting for approval", Text: text}
}

func repoTaken(m *template.Manifest, org, name string) *Problem {
	return &Problem{
		Headline: needsChanges,
		Text: fmt.Sprintf("- **%s**: the repository [%s/%s](https://github.com/%s/%s) already exists, and goldenpath leaves it untouched. Choose another name.\n\n%s",
			mdEscape(titleOf(m, "name")), org, name, org, name, editHint),
		NeedsChanges: true,
	}
}

func refusedByGitHub(org, repo, newName string, err error) *Problem {
	return &Problem{
		Headline: "GitHub refused to create the repository",
		Text: fmt.Sprintf("GitHub refused to create %s/%s:\n\n```\n%s\n```\n\nIf this is about the repository settings in `%s`, the maintainers of %s/%s must fix them; then comment `/retry`.",
			org, newName, oneLine(err), PolicyFileName, org, repo),
	}
}

func createdReply(org, newName, link, name, version, owner string) *Problem {
	return &Problem{
		Headline: "Created " + org + "/" + newName,
		Text: fmt.Sprintf("goldenpath created **[%s/%s](%s)** from the **%s** template v%s. The team %s can maintain it.\n\n"+
			"Its first commit holds every file of the template and `%s`, which template upgrades read: when a new version of %s is published, goldenpath opens a pull request there.",
			org, newName, link, name, version, code("@"+org+"/"+owner), template.AnswersFileName, name),
	}
}

func gaveUp(cause error) *Problem {
	return &Problem{
		Headline: "goldenpath could not finish this request",
		Text: "It kept failing after several attempts; the last error was:\n\n```\n" + oneLine(cause) + "\n```\n\n" +
			"Nothing is lost: comment `/retry` to run the request again. If it fails again, ask the maintainers of the templates repository.",
	}
}

func titleOf(m *template.Manifest, id string) string {
	if p, ok := m.Param(id); ok {
		return p.Title
	}
	return id
}

func teamList(org string, teams []string) string {
	out := make([]string, len(teams))
	for i, t := range teams {
		out[i] = "`@" + org + "/" + t + "`"
	}
	return strings.Join(out, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// mdEscape shows user text as plain text in a comment.
func mdEscape(s string) string { return breakAutolinks(mdtext.Escape(s)) }

// code shows s as inline code (where mentions and markup do not apply).
func code(s string) string {
	return "`" + strings.NewReplacer("`", "'", "\r", " ", "\n", " ").Replace(s) + "`"
}
