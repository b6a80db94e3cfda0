// Package setup registers the GitHub App with GitHub's App manifest flow,
// as Probot does: a local page posts app.yml as a manifest to GitHub's
// new-App page, GitHub redirects back with a code, and the code is traded
// (POST /app-manifests/{code}/conversions) for the App's id, key and
// secrets, which are written to .env.
//
// manifest.go and env.go decide (pure functions); flow.go serves the pages
// and writes the files.
package setup

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// GitHubDotCom is github.com's web address, the default --github-url.
const GitHubDotCom = "https://github.com"

// WebhookPlaceholder is the webhook URL shown when none is given yet.
const WebhookPlaceholder = "https://goldenpath.example.com/api/github/webhooks"

// Manifest turns app.yml (Probot's format: GitHub's manifest parameters in
// YAML) into the JSON manifest GitHub's new-App page takes, with the
// webhook URL and the redirect URL of this flow filled in.
func Manifest(appYML []byte, webhookURL, redirectURL string) ([]byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal(appYML, &m); err != nil {
		return nil, fmt.Errorf("reading app.yml: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("reading app.yml: it is empty")
	}
	if name, _ := m["name"].(string); strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("reading app.yml: name is required")
	}
	if _, ok := m["url"].(string); !ok {
		return nil, fmt.Errorf("reading app.yml: url (the App's homepage) is required")
	}
	if err := checkHTTPURL("the webhook URL", webhookURL); err != nil {
		return nil, err
	}
	hook, _ := m["hook_attributes"].(map[string]any)
	if hook == nil {
		hook = map[string]any{}
	}
	hook["url"] = webhookURL
	m["hook_attributes"] = hook
	m["redirect_url"] = redirectURL
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	return out, nil
}

// manifestName is app.yml's name ("" if it has none).
func manifestName(appYML []byte) string {
	var m struct {
		Name string `yaml:"name"`
	}
	_ = yaml.Unmarshal(appYML, &m)
	return m.Name
}

// checkHTTPURL accepts an absolute http(s) URL with a host.
func checkHTTPURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http(s) URL, got %q", what, s)
	}
	return nil
}

// NewAppURL is GitHub's page that registers an App from a manifest: the
// signed-in user's, or the organisation's when org is set.
func NewAppURL(githubURL, org, state string) string {
	base := strings.TrimRight(githubURL, "/")
	p := "/settings/apps/new"
	if org != "" {
		p = "/organizations/" + url.PathEscape(org) + "/settings/apps/new"
	}
	return base + p + "?state=" + url.QueryEscape(state)
}

// APIURL is the REST API of a GitHub web address: api.github.com for
// github.com, HOST/api/v3 for GitHub Enterprise Server.
func APIURL(githubURL string) string {
	base := strings.TrimRight(githubURL, "/")
	if base == GitHubDotCom {
		return "https://api.github.com"
	}
	return base + "/api/v3"
}

// CheckGitHubURL validates --github-url: a web address, not the API's.
func CheckGitHubURL(githubURL string) error {
	if err := checkHTTPURL("--github-url", githubURL); err != nil {
		return err
	}
	u, _ := url.Parse(githubURL)
	if u.Host == "api.github.com" || strings.Contains(u.Path, "/api/") {
		return fmt.Errorf("--github-url is GitHub's web address (https://github.com or https://HOST for Enterprise Server), not its API: got %q", githubURL)
	}
	return nil
}
