// Package github is the bot's narrow door to GitHub: App authentication and
// cached per-installation clients (ghinstallation), an http.RoundTripper
// middleware for timeouts, bounded retries, rate limits, write pacing, metrics
// and logs, and the few operations the workflows need, returning this
// package's own small types rather than go-github's.
package github

import (
	"container/list"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/golang-jwt/jwt/v4"
	gh "github.com/google/go-github/v62/github"
)

// DefaultBaseURL is github.com's REST API.
const DefaultBaseURL = "https://api.github.com"

// AppConfig is what NewApp needs. AppID, PrivateKeyPEM are required.
type AppConfig struct {
	AppID         int64
	PrivateKeyPEM []byte
	// BaseURL is the REST root: https://api.github.com (default) or, on GitHub
	// Enterprise Server, https://HOST/api/v3.
	BaseURL string
	Logger  *slog.Logger
	Metrics *Metrics // nil: unregistered collectors
	// Transport under the middleware (default http.DefaultTransport); shared by
	// every installation so connections are reused.
	Transport http.RoundTripper
	// Policy bounds timeouts, retries, rate-limit waits and write pacing.
	Policy Policy
	// MaxClients bounds the cache of installation clients. Default 1000.
	MaxClients int
	// MaxTrees bounds the cache of ReadTree results (by commit SHA). Default 64.
	MaxTrees int
}

// App is the GitHub App: it authenticates as the App (JWT) and hands out
// per-installation clients.
type App struct {
	cfg      AppConfig
	key      *rsa.PrivateKey
	base     *url.URL
	gh       *gh.Client // as the App (JWT)
	logger   *slog.Logger
	metrics  *Metrics
	trees    *treeCache
	basePath string

	mu       sync.Mutex
	clients  map[int64]*list.Element // of *Client, most recently used first
	lru      *list.List
	limiters map[int64]*limiter // never evicted: a pacer must outlive any cached client
}

// NewApp checks the configuration and builds the App. It makes no request;
// call CheckCredentials at start-up.
func NewApp(cfg AppConfig) (*App, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("creating the GitHub App client: the App ID is missing")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(cfg.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("creating the GitHub App client: reading the private key: %w", err)
	}
	a, err := newApp(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the GitHub App client: %w", err)
	}
	a.key = key
	appPolicy := a.cfg.Policy
	appPolicy.Pacing.Disabled = true
	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.middleware(0, appPolicy), cfg.AppID, key)
	atr.BaseURL = a.cfg.BaseURL
	a.gh, err = newGitHubClient(&http.Client{Transport: atr}, a.cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newApp fills cfg's defaults and builds what every client shares: the
// middleware's pacers, metrics and logger, and the tree cache.
func newApp(cfg AppConfig) (*App, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 1000
	}
	if cfg.MaxTrees <= 0 {
		cfg.MaxTrees = 64
	}
	cfg.Policy = cfg.Policy.withDefaults()
	return &App{
		cfg:      cfg,
		base:     base,
		logger:   cfg.Logger,
		metrics:  cfg.Metrics,
		trees:    newTreeCache(cfg.MaxTrees),
		basePath: strings.TrimRight(base.Path, "/"),
		clients:  map[int64]*list.Element{},
		lru:      list.New(),
		limiters: map[int64]*limiter{},
	}, nil
}

// newGitHubClient points go-github at base exactly as configured: GHES's
// https://HOST/api/v3, or a simulator's root. (WithEnterpriseURLs would append
// /api/v3 to any base that lacks it.)
func newGitHubClient(hc *http.Client, base string) (*gh.Client, error) {
	c := gh.NewClient(hc)
	if base == DefaultBaseURL {
		return c, nil
	}
	u, err := url.Parse(base + "/")
	if err != nil {
		return nil, fmt.Errorf("setting the GitHub base URL %q: %w", base, err)
	}
	c.BaseURL = u
	// Unused by the bot; GHES serves uploads beside the API.
	c.UploadURL, _ = url.Parse(strings.TrimSuffix(base, "/api/v3") + "/api/uploads/")
	return c, nil
}

func (a *App) middleware(inst int64, p Policy) *transport {
	a.mu.Lock()
	l, ok := a.limiters[inst]
	if !ok {
		l = newLimiter()
		a.limiters[inst] = l
	}
	a.mu.Unlock()
	return &transport{
		next:     a.cfg.Transport,
		policy:   p,
		limiter:  l,
		metrics:  a.metrics,
		logger:   a.logger,
		basePath: a.basePath,
		inst:     inst,
	}
}

// AppInfo is what GET /app says about the App.
type AppInfo struct {
	ID    int64
	Slug  string
	Name  string
	Owner string
}

// CheckCredentials asks GitHub who the App is (GET /app): the start-up check
// that the App ID, key and base URL fit together.
func (a *App) CheckCredentials(ctx context.Context) (*AppInfo, error) {
	app, _, err := a.gh.Apps.Get(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("checking the GitHub App credentials (GET /app at %s): %w", a.cfg.BaseURL, classify(err))
	}
	info := &AppInfo{ID: app.GetID(), Slug: app.GetSlug(), Name: app.GetName(), Owner: app.GetOwner().GetLogin()}
	if info.ID != 0 && info.ID != a.cfg.AppID {
		return info, fmt.Errorf("checking the GitHub App credentials: GitHub says the key belongs to App %d, not %d", info.ID, a.cfg.AppID)
	}
	return info, nil
}

// Installation returns the client for one installation. Clients are cached
// (bounded, least recently used evicted); each keeps its installation token
// until it nears expiry. All clients of an installation share one write pacer.
func (a *App) Installation(id int64) *Client {
	a.mu.Lock()
	if el, ok := a.clients[id]; ok {
		a.lru.MoveToFront(el)
		a.mu.Unlock()
		return el.Value.(*Client)
	}
	a.mu.Unlock()

	c := a.newClient(id)

	a.mu.Lock()
	defer a.mu.Unlock()
	if el, ok := a.clients[id]; ok { // another goroutine won the race
		a.lru.MoveToFront(el)
		return el.Value.(*Client)
	}
	a.clients[id] = a.lru.PushFront(c)
	for a.lru.Len() > a.cfg.MaxClients {
		old := a.lru.Remove(a.lru.Back()).(*Client)
		delete(a.clients, old.inst)
	}
	return c
}

func (a *App) newClient(id int64) *Client {
	mw := a.middleware(id, a.cfg.Policy)
	atr := ghinstallation.NewAppsTransportFromPrivateKey(mw, a.cfg.AppID, a.key)
	atr.BaseURL = a.cfg.BaseURL
	itr := newReauth(func() *ghinstallation.Transport {
		t := ghinstallation.NewFromAppsTransport(atr, id)
		t.BaseURL = a.cfg.BaseURL
		return t
	})
	// Errors are impossible here: the base URL was parsed in NewApp.
	client, _ := newGitHubClient(&http.Client{Transport: itr}, a.cfg.BaseURL)
	return &Client{
		app:   a,
		inst:  id,
		appID: a.cfg.AppID,
		gh:    client,
		// Archive links carry their own short-lived token: fetched without ours,
		// through the same middleware, never following further redirects blindly.
		download: &http.Client{Transport: mw},
		auth:     &http.Client{Transport: itr, CheckRedirect: noRedirect},
		limiter:  mw.limiter,
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Client is one installation's door to GitHub. Safe for concurrent use.
type Client struct {
	app      *App
	inst     int64
	appID    int64 // this App's id: tells its own comments from other Apps'
	gh       *gh.Client
	download *http.Client
	auth     *http.Client
	limiter  *limiter
}

// InstallationID is the installation this client acts as.
func (c *Client) InstallationID() int64 { return c.inst }

// InstallationInfo names one installation of the App.
type InstallationInfo struct {
	ID      int64
	Account string
}

// Installations lists every installation of the App (GET /app/installations,
// all pages), for periodic reconciles across accounts.
func (a *App) Installations(ctx context.Context) ([]InstallationInfo, error) {
	var out []InstallationInfo
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := a.gh.Apps.ListInstallations(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the App's installations: %w", classify(err))
		}
		for _, in := range page {
			out = append(out, InstallationInfo{ID: in.GetID(), Account: in.GetAccount().GetLogin()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// Repos lists the repositories this installation can see (GET
// /installation/repositories, all pages).
func (c *Client) Repos(ctx context.Context) ([]*Repo, error) {
	var out []*Repo
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.Apps.ListRepos(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the repositories of installation %d: %w", c.inst, classify(err))
		}
		for _, r := range page.Repositories {
			out = append(out, repoFrom(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
