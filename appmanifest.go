// Package goldenpath holds what the binary embeds from the repository root:
// the GitHub App manifest app.yml, which `goldenpath setup` registers.
package goldenpath

import _ "embed"

// AppManifest is app.yml: the App's events and least permissions, in
// Probot's manifest format.
//
//go:embed app.yml
var AppManifest []byte
