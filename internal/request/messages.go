package request

import (
	"fmt"
	"strings"

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

// problem is something the person who filed (or approves) the request must
// act on. It becomes the request's comment; needsChanges adds the
// goldenpath:needs-changes label, because editing the issue fixes it.
type problem struct {
	headline     string
	text         string
	needsChanges bool
	noVersion    bool // the template has no published version (yet)
}

func (p problem) body() string {
	return "### " + p.headline + "\n\n" + strings.TrimRight(p.text, "\n") + "\n"
}

const editHint = "Edit the issue to fix this (the `···` menu → **Edit**); goldenpath checks it again when you save."

func validationProblem(t *template.Template, version string, ve *template.ValidationError) problem {
	var b strings.Builder
	fmt.Fprintf(&b, "goldenpath checked the answers against the **%s** template (v%s) and found %s:\n\n",
		t.Manifest.Name, version, plural(len(ve.Problems), "problem"))
	for _, p := range ve.Problems {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdEscape(p.Title), mdEscape(p.Message))
	}
	b.WriteString("\n" + editHint)
	return problem{headline: "This request needs changes", text: b.String(), needsChanges: true}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// mdEscaper keeps user text from turning into markup in a comment: links
// (a phishing link in the bot's voice), emphasis, code, table cells, HTML
// (a fake <!-- goldenpath:… --> marker) and mentions (pinging strangers).
// Markdown's backslash escapes cover the punctuation; a zero-width space
// after @ breaks a mention without changing what people read.
var mdEscaper = strings.NewReplacer(
	"\r\n", " ", "\r", " ", "\n", " ",
	"@", "@\u200b", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`,
)

// mdEscape shows user text as plain text in a comment.
func mdEscape(s string) string { return breakAutolinks(mdEscaper.Replace(s)) }

// code shows s as inline code (where mentions and markup do not apply).
func code(s string) string {
	return "`" + strings.NewReplacer("`", "'", "\r", " ", "\n", " ").Replace(s) + "`"
}
