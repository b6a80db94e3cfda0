// Package request is the "new service" workflow (SPEC §5): an issue filed
// from a template's form in the templates repository becomes a repository.
//
//	issue → template (label template:<name>, else the form's headings)
//	      → org member? → template at its highest published tag
//	      → answers (parse, validate) → goldenpath.yaml requester teams
//	      → render → owner team exists? → approval (/approve) if required
//	      → repository with every file and .goldenpath.yml in one commit
//	      → team access, topics → fleet index → one comment → label → closed
//
// Every problem a person must act on ends as one comment on the issue (a
// marker comment, edited on every re-check and never duplicated) and a nil
// error: the job is done, the person acts next. Anything else (GitHub down,
// rate limited, the database away) is returned so the queue retries it; a
// job.Retry asks the queue to wait before it does.
//
// Idempotency does not rely on the queue: the repository's .goldenpath.yml
// names the issue that asked for it, so a redelivery, a retry after a crash
// or a second replica finds "its" repository and only finishes the
// remaining steps; an empty repository an interrupted attempt left behind
// is written into; comments are found again by their hidden marker.
//
// Economy: the tags and goldenpath.yaml of the templates repository are
// cached (refreshed by EnsureLabels on every push to it, and after a short
// time) and the template archives are cached by commit SHA in the client,
// so a request costs at most 12 GitHub requests whatever the file count.
package request
