package github

import (
	"errors"
	"fmt"
	"net/http"
)

// TokenConfig is what NewTokenClient needs: a token (a personal access
// token, or the GITHUB_TOKEN of an Actions run) instead of the App's key.
type TokenConfig struct {
	Token string
	// BaseURL, Transport and Policy as in AppConfig.
	BaseURL   string
	Transport http.RoundTripper
	Policy    Policy
}

// NewTokenClient returns a client that authenticates with a token, through
// the same middleware (timeouts, bounded retries, rate limits) as the App's
// clients: for the local commands that read from GitHub
// (`goldenpath check`). It makes no request.
func NewTokenClient(cfg TokenConfig) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("creating a GitHub client: the token is empty")
	}
	a, err := newApp(AppConfig{BaseURL: cfg.BaseURL, Transport: cfg.Transport, Policy: cfg.Policy})
	if err != nil {
		return nil, fmt.Errorf("creating a GitHub client: %w", err)
	}
	mw := a.middleware(0, a.cfg.Policy)
	auth := &tokenTransport{next: mw, token: cfg.Token}
	client, err := newGitHubClient(&http.Client{Transport: auth}, a.cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	return &Client{
		app:      a,
		gh:       client,
		download: &http.Client{Transport: mw},
		auth:     &http.Client{Transport: auth, CheckRedirect: noRedirect},
		limiter:  mw.limiter,
	}, nil
}

// tokenTransport sends the token on every request (the middleware under it
// drops the header from logs).
type tokenTransport struct {
	next  http.RoundTripper
	token string
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "token "+t.token)
	return t.next.RoundTrip(r)
}
