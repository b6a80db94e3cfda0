package issueform

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RepositoryList is the Repositories field of an adoption request.
type RepositoryList struct {
	// Names are repository names without the account, in the order given,
	// each once (GitHub names are case-insensitive: the first spelling wins).
	Names []string `json:"names,omitempty"`
	// Topics select every repository of the account with that topic
	// (lower-case, each once).
	Topics []string `json:"topics,omitempty"`
	// Problems say which entries are not repositories, one sentence each.
	Problems []string `json:"problems,omitempty"`
}

// TopicPrefix introduces a topic entry: `topic:payments`.
const TopicPrefix = "topic:"

// maxListProblems bounds the problems quoted back on the issue: a pasted
// file of garbage must not make the bot's comment too long for GitHub.
const maxListProblems = 20

var (
	// repoNameRE: GitHub repository names are ASCII letters, digits, '.',
	// '-' and '_', at most 100 characters.
	repoNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	// accountRE: GitHub logins are letters, digits and single inner hyphens.
	accountRE = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$`)
	// topicRE: GitHub topics are lower-case letters, digits and hyphens,
	// starting with a letter or digit, at most 50 characters.
	topicRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)
)

// ParseRepositories reads the Repositories field: one entry per line (commas
// separate entries too), each a repository name, `org/name`, a
// repository URL, or `topic:<topic>`. List markers (`- `, `* `) and
// backticks around an entry are ignored. A name in another account than org
// is a problem: only org's repositories can be adopted by its bot.
func ParseRepositories(text, org string) RepositoryList {
	var l RepositoryList
	seenName, seenTopic := map[string]bool{}, map[string]bool{}
	var problems []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == NoResponse || strings.HasPrefix(line, "<!--") && strings.HasSuffix(line, "-->") {
			continue
		}
		for _, marker := range []string{"- ", "* ", "+ "} {
			line = strings.TrimPrefix(line, marker)
		}
		for _, entry := range strings.Split(line, ",") {
			if entry = strings.Trim(strings.TrimSpace(entry), "`"); entry == "" {
				continue
			}
			kind, value, problem := parseEntry(entry, org)
			switch {
			case problem != "":
				problems = append(problems, problem)
			case kind == entryTopic && !seenTopic[value]:
				seenTopic[value] = true
				l.Topics = append(l.Topics, value)
			case kind == entryName && !seenName[strings.ToLower(value)]:
				seenName[strings.ToLower(value)] = true
				l.Names = append(l.Names, value)
			}
		}
	}
	if len(problems) > maxListProblems {
		more := len(problems) - maxListProblems
		problems = append(problems[:maxListProblems], fmt.Sprintf("and %d more %s", more, pluralWord(more, "entry", "entries")))
	}
	l.Problems = problems
	if len(l.Names) == 0 && len(l.Topics) == 0 && len(l.Problems) == 0 {
		l.Problems = []string{"no repository is listed: write one name per line, or topic:<topic>"}
	}
	return l
}

type entryKind int

const (
	entryName entryKind = iota
	entryTopic
)

// parseEntry reads one entry: a name or a topic, or a problem saying why it
// is neither.
func parseEntry(entry, org string) (entryKind, string, string) {
	if len(entry) >= len(TopicPrefix) && strings.EqualFold(entry[:len(TopicPrefix)], TopicPrefix) {
		topic := strings.ToLower(strings.TrimSpace(entry[len(TopicPrefix):]))
		if !topicRE.MatchString(topic) {
			return 0, "", fmt.Sprintf("%s is not a topic: topics are lower-case letters, digits and hyphens, at most 50 characters", quoteEntry(entry))
		}
		return entryTopic, topic, ""
	}
	ref := repoPath(entry)
	account, name, hasAccount := strings.Cut(ref, "/")
	if !hasAccount {
		account, name = "", ref
	}
	name = strings.TrimSuffix(name, ".git")
	switch {
	case strings.Contains(name, "/") || hasAccount && !accountRE.MatchString(account):
		return 0, "", fmt.Sprintf("%s is not a repository: write name or %s/name", quoteEntry(entry), orgOrAccount(org))
	case !repoNameRE.MatchString(name) || name == "." || name == "..":
		return 0, "", fmt.Sprintf("%s is not a repository name: names are letters, digits, '.', '-' and '_', at most 100 characters", quoteEntry(entry))
	case hasAccount && org != "" && !strings.EqualFold(account, org):
		return 0, "", fmt.Sprintf("%s is in the account %s, not %s: only %s's repositories can be adopted here", quoteEntry(entry), account, org, org)
	}
	return entryName, name, ""
}

// repoPath turns a repository URL (https://HOST/org/name, or
// git@HOST:org/name.git) into org/name; other entries are returned as they are.
func repoPath(entry string) string {
	if rest, ok := strings.CutPrefix(entry, "git@"); ok {
		if _, p, ok := strings.Cut(rest, ":"); ok {
			return p
		}
	}
	if !strings.HasPrefix(entry, "https://") && !strings.HasPrefix(entry, "http://") {
		return entry
	}
	u, err := url.Parse(entry)
	if err != nil {
		return entry
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return entry
	}
	return parts[0] + "/" + parts[1]
}

func orgOrAccount(org string) string {
	if org == "" {
		return "account"
	}
	return org
}

// quoteEntry quotes an entry for a problem, cut to a readable length.
func quoteEntry(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:max])) + "…"
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
