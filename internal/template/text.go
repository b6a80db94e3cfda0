package template

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text answers end up inside YAML, JSON, Markdown, Go and JavaScript files,
// in the answers file and in the catalog. Characters that any of those
// readers refuse, or that make a text read differently from what it holds,
// are refused with the parameter's name rather than written:
//
//   - invalid UTF-8 (which includes lone surrogate halves);
//   - C0 controls (NUL, ESC, …) and DEL. Newline is allowed in a multi-line
//     `text` answer and nowhere else; tab is allowed inside a `text` answer
//     (YAML and JSON carry it escaped) but not in a single-line `string`,
//     where it is always a paste accident; a CR is allowed only as part of
//     CRLF, which becomes LF;
//   - C1 controls U+0080–U+009F, NEL (U+0085) among them: YAML 1.1 readers
//     such as PyYAML treat NEL as a line break;
//   - the line and paragraph separators U+2028 and U+2029 (line breaks for
//     YAML 1.1 and old JavaScript);
//   - the bidirectional embedding, override and isolate controls
//     (U+202A–U+202E, U+2066–U+2069), which make text display in an order
//     other than the one it is stored in ("Trojan Source");
//   - non-characters: U+FDD0–U+FDEF and the last two code points of every
//     plane (U+FFFE, U+FFFF, U+1FFFE, …), which YAML readers refuse;
//   - the byte order mark U+FEFF, which is meaningful only at a file's start.
//
// Letters of every script, right-to-left text with its ordinary marks
// (U+200E, U+200F) and zero-width joiners stay allowed: they are text.

// textProblem returns why s cannot be a text answer, or "" when it can.
// multiline allows newlines and tabs.
func textProblem(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	for i, r := range s {
		if why := badRune(r, multiline); why != "" {
			return fmt.Sprintf("contains %s (U+%04X) at character %d; remove it", why, r, utf8.RuneCountInString(s[:i])+1)
		}
	}
	return ""
}

// badRune names what kind of character r is when it is refused in an answer.
func badRune(r rune, multiline bool) string {
	switch {
	case r == '\n' || r == '\t':
		if multiline {
			return ""
		}
		if r == '\n' {
			return "a line break"
		}
		return "a tab"
	case r < 0x20 || r == 0x7f:
		return "a control character"
	case r >= 0x80 && r <= 0x9f:
		return "a control character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return "a bidirectional override character"
	case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
		return "a non-character"
	case r == 0xfeff:
		return "a byte order mark"
	}
	return ""
}

// normaliseText trims a string or text answer: CRLF becomes LF, and leading
// and trailing white space goes (a leading tab would otherwise start a YAML
// block scalar that no reader accepts).
func normaliseText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}
