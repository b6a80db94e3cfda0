// Package request is the "new service" workflow (SPEC §5): an issue filed
// from a template's form in the templates repository becomes a repository.
//
//	issue → template (label or headings) → answers (parse, validate)
//	      → checks (org member, policy teams, approval, owner team, name)
//	      → repository (every file in its first commit) → access, topics
//	      → fleet index → one comment with the link → label → closed
//
// Every user-facing problem ends as one comment on the issue (a marker
// comment, edited on every re-check and never duplicated) and a nil error:
// the job is done, the person acts next. Anything else (GitHub down, rate
// limited, the database away) is returned so the queue retries it.
//
// Idempotency does not rely on the queue: the repository's .goldenpath.yml
// names the issue that asked for it, so a redelivery, a retry after a crash
// or a second replica finds "its" repository and only finishes the
// remaining steps; comments are found again by their hidden marker.
package request
