package github

import "strings"

// route reduces a request path to a template with bounded cardinality for
// metrics and logs: /repos/acme/api/issues/4/comments → /repos/{}/{}/issues/{}/comments.
// Owner, repository, user, team and label names, numbers and refs never become
// label values.
func route(path string) string {
	if path == "/graphql" || path == "/api/graphql" {
		return "/graphql" // GHES serves it beside /api/v3, which the transport strips
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch segs[0] {
	case "repos", "orgs", "users", "user", "app", "installation", "teams", "rate_limit", "meta", "search":
	default:
		// Not the REST API: an archive download (codeload) whose path names
		// repositories and refs.
		return "/{download}"
	}
	out := make([]string, 0, len(segs))
	params := 0 // how many following segments are names, not literals
	for i, s := range segs {
		if params > 0 {
			out = append(out, "{}")
			params--
			continue
		}
		switch s {
		case "repos":
			params = 2
		case "orgs", "users", "teams", "members", "memberships", "installations", "labels",
			"collaborators", "branches":
			params = 1
		case "commits", "tarball", "zipball", "contents", "compare", "ref", "refs", "matching-refs", "tags":
			// The rest of the path is one ref or file path of any depth.
			out = append(out, s)
			if i < len(segs)-1 {
				out = append(out, "{+}")
			}
			return "/" + strings.Join(out, "/")
		}
		if isNumber(s) || IsCommitSHA(s) {
			s = "{}"
		}
		out = append(out, s)
	}
	return "/" + strings.Join(out, "/")
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// IsCommitSHA reports whether s is a full lower-case hexadecimal SHA-1, the
// form GitHub gives commit and tree ids in.
func IsCommitSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
