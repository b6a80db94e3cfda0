// Package mdtext shows people's text (answers, team names, error messages
// that quote them) inside the bot's Markdown: comments, pull request bodies
// and the fleet dashboard, where it must stay plain text.
package mdtext

import "strings"

// escaper keeps user text from turning into markup: links (a phishing link
// in the bot's voice), emphasis, code, table cells, HTML (a fake
// <!-- goldenpath:… --> marker) and mentions (pinging strangers). Markdown's
// backslash escapes cover the punctuation; a zero-width space after @
// breaks a mention without changing what people read.
var escaper = strings.NewReplacer(
	"\r\n", " ", "\r", " ", "\n", " ",
	"@", "@\u200b", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`,
)

// Escape shows s as plain text on one line.
func Escape(s string) string { return escaper.Replace(s) }

// Code shows s as inline code (where mentions and markup do not apply), on
// one line; in a table cell its pipes are escaped.
func Code(s string) string {
	return "`" + strings.NewReplacer("`", "'", "\r", " ", "\n", " ", "|", `\|`).Replace(s) + "`"
}

// Cut shortens s to at most n runes, marking the cut with "…".
func Cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
