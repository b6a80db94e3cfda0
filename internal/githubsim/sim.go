// Package githubsim is an in-process GitHub: state (users, orgs, teams, an
// App and its installations, repositories with real git objects, issues,
// pull requests, labels, comments), the REST endpoints the bot calls with
// GitHub's rules, status codes, JSON shapes and error bodies, App JWT and
// installation-token auth, primary and secondary rate limits, fault
// injection, and signed webhook deliveries. Tests and `goldenpath demo` serve
// Handler() over HTTP and talk to it with go-github and ghinstallation.
//
// Typical use:
//
//	sim := githubsim.New(githubsim.Options{})
//	srv := httptest.NewServer(sim.Handler()) // also served under /api/v3
//	sim.AddOrg("acme", "alice")
//	inst := sim.Install("acme")
//	sim.SetWebhook(botURL+"/webhook", secret)
//	// the bot: ghinstallation.New(tr, sim.AppID(), inst, sim.AppPrivateKeyPEM())
//	// with BaseURL srv.URL+"/api/v3", go-github WithEnterpriseURLs(srv.URL, srv.URL)
//	n, _ := sim.OpenIssue("acme", "templates", "alice", "New service", body, nil)
//	sim.WaitDeliveries()
//
// Webhook deliveries are asynchronous (one ordered worker, as GitHub delivers
// after the API call returns); call WaitDeliveries to wait for the queue.
// Deliveries are logged only while a webhook URL is set, never retried
// automatically; Redeliver resends one with the same X-GitHub-Delivery.
//
// Counts are keyed "METHOD /path/{template}" with GitHub's templates (as in
// its OpenAPI description); the archive and raw download hosts (/_codeload/,
// /_raw/) are not API requests and are not counted. Eventual-consistency
// 404s can be injected with Fault{Kind: Error5xx, Status: 404, Nth: 1}.
package githubsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	mrand "math/rand"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure a simulator. The zero value is usable.
type Options struct {
	// BaseURL is the API base used in JSON URLs and webhook payloads before
	// the first request arrives (afterwards the request's own host is used).
	BaseURL string
	// TokenTTL is the lifetime of installation tokens (default 1h).
	TokenTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Seed drives random faults.
	Seed int64
	// AppSlug is the App's slug (default "goldenpath").
	AppSlug string
	// Limits sets rate limits (zero fields take GitHub's defaults).
	Limits Limits
	// Permissions are the App's permissions (nil: DefaultPermissions).
	Permissions map[string]string
}

// Limits are the rate limits the simulator enforces per installation.
type Limits struct {
	PrimaryPerHour   int           // default 5000
	ContentPerMinute int           // default 80
	ContentPerHour   int           // default 500
	Concurrent       int           // default 100
	MinuteWindow     time.Duration // length of "a minute" (default 1m); shrink in tests
	HourWindow       time.Duration // length of "an hour" (default 1h); shrink in tests
	Disabled         bool          // no limit at all (headers still sent)
}

func (l Limits) withDefaults() Limits {
	if l.PrimaryPerHour == 0 {
		l.PrimaryPerHour = 5000
	}
	if l.ContentPerMinute == 0 {
		l.ContentPerMinute = 80
	}
	if l.ContentPerHour == 0 {
		l.ContentPerHour = 500
	}
	if l.Concurrent == 0 {
		l.Concurrent = 100
	}
	if l.MinuteWindow == 0 {
		l.MinuteWindow = time.Minute
	}
	if l.HourWindow == 0 {
		l.HourWindow = time.Hour
	}
	return l
}

type account struct {
	id        int64
	login     string
	typ       string // User, Organization, Bot
	name      string
	email     string
	createdAt time.Time
	members   map[string]string // orgs: lower login -> role (member, admin)
}

type team struct {
	id          int64
	org         *account
	name, slug  string
	description string
	privacy     string
	members     map[string]string // lower login -> role (member, maintainer)
	createdAt   time.Time
}

type installation struct {
	id        int64
	account   *account
	createdAt time.Time
}

type token struct {
	value     string
	inst      *installation
	expiresAt time.Time
	repos     map[string]bool // lower names; nil: every repository of the account
}

type label struct {
	id          int64
	name        string
	color       string
	description string
	isDefault   bool
}

type comment struct {
	id        int64
	user      *account
	body      string
	createdAt time.Time
	updatedAt time.Time
}

type pull struct {
	head, base       string // branch names
	headSHA, baseSHA string // at close/merge time they are frozen
	draft            bool
	merged           bool
	mergedAt         time.Time
	mergedBy         *account
	mergeSHA         string
	maintainerModify bool
}

type issue struct {
	id          int64
	number      int
	title, body string
	user        *account
	state       string // open, closed
	stateReason string
	labels      []*label
	assignees   []*account
	comments    []*comment
	locked      bool
	createdAt   time.Time
	updatedAt   time.Time
	closedAt    time.Time
	closedBy    *account
	pr          *pull
}

type repo struct {
	id            int64
	owner         *account
	name          string
	private       bool
	visibility    string
	description   string
	homepage      string
	topics        []string
	defaultBranch string
	createdAt     time.Time
	updatedAt     time.Time
	pushedAt      time.Time
	objs          objectStore
	refs          map[string]string // full ref name -> sha
	issues        []*issue          // index number-1
	labels        []*label
	teamPerms     map[int64]string // team id -> permission
	releases      []*release
	// commitComments: comments on commits, by commit SHA.
	commitComments map[string][]*comment
	archived       bool
}

func (r *repo) fullName() string { return r.owner.login + "/" + r.name }

// Sim is the simulator. All methods are safe for concurrent use.
type Sim struct {
	mu   sync.Mutex
	opts Options

	muxOnce  sync.Once
	routeMux http.Handler
	limits   Limits
	now      func() time.Time
	rng      *mrand.Rand

	key     *rsa.PrivateKey
	appID   int64
	appSlug string
	nextID  int64
	base    string

	perms     map[string]string
	accounts  map[string]*account // lower login -> account
	teams     map[string]*team    // "org/slug" lower
	installs  map[int64]*installation
	instByAcc map[string]*installation
	tokens    map[string]*token
	repos     map[string]*repo // lower "owner/name"
	codeload  map[string]archiveReq

	counts        map[string]int
	countsByInst  map[int64]int
	unknown       []string
	violations    []Violation
	primary       map[int64]*primaryBucket
	content       map[int64][]time.Time
	inflight      map[int64]int
	faults        []faultState
	webhook       webhookConfig
	hooks         *hookQueue
	deliveries    []Delivery
	deliveryIndex map[string]int

	// The App manifest flow (manifest.go).
	webUser       string
	registered    *registeredApp
	manifestCodes map[string]manifestCode
}

// New makes a simulator with a fresh App key (2048-bit RSA).
func New(opts Options) *Sim {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AppSlug == "" {
		opts.AppSlug = "goldenpath"
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "https://api.github.com"
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("generating the App key: %v", err))
	}
	s := &Sim{
		opts:          opts,
		limits:        opts.Limits.withDefaults(),
		now:           opts.Now,
		rng:           mrand.New(mrand.NewSource(opts.Seed)),
		key:           key,
		appID:         314159,
		appSlug:       opts.AppSlug,
		nextID:        1000,
		base:          strings.TrimSuffix(opts.BaseURL, "/"),
		accounts:      map[string]*account{},
		teams:         map[string]*team{},
		installs:      map[int64]*installation{},
		instByAcc:     map[string]*installation{},
		tokens:        map[string]*token{},
		repos:         map[string]*repo{},
		codeload:      map[string]archiveReq{},
		counts:        map[string]int{},
		countsByInst:  map[int64]int{},
		primary:       map[int64]*primaryBucket{},
		content:       map[int64][]time.Time{},
		inflight:      map[int64]int{},
		deliveryIndex: map[string]int{},
		manifestCodes: map[string]manifestCode{},
		hooks:         newHookQueue(),
	}
	s.setPerms(opts.Permissions)
	s.ensureAccount(s.appSlug+"[bot]", "Bot")
	return s
}

func (s *Sim) id() int64 { s.nextID++; return s.nextID }

// AppID is the App's id (the JWT issuer).
func (s *Sim) AppID() int64 { return s.appID }

// AppPrivateKeyPEM is the App's private key, PKCS#1 PEM as GitHub hands it out.
func (s *Sim) AppPrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.key)})
}

// BotLogin is the login the App acts as ("<slug>[bot]").
func (s *Sim) BotLogin() string { return s.appSlug + "[bot]" }

func (s *Sim) ensureAccount(login, typ string) *account {
	k := strings.ToLower(login)
	if a, ok := s.accounts[k]; ok {
		return a
	}
	a := &account{id: s.id(), login: login, typ: typ, name: login, email: login + "@users.noreply.github.com", createdAt: s.now().UTC()}
	if typ == "Organization" {
		a.members = map[string]string{}
	}
	s.accounts[k] = a
	return a
}

// AddUser creates a user account (idempotent).
func (s *Sim) AddUser(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureAccount(login, "User")
}

// AddOrg creates an organization with the given members (role "member";
// idempotent). Members are created as users when missing.
func (s *Sim) AddOrg(org string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ensureAccount(org, "Organization")
	for _, m := range members {
		u := s.ensureAccount(m, "User")
		o.members[strings.ToLower(u.login)] = "member"
	}
}

// AddOrgMember adds a user to an org with role "member" or "admin".
func (s *Sim) AddOrgMember(org, user, role string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.accounts[strings.ToLower(org)]
	if o == nil || o.typ != "Organization" {
		return fmt.Errorf("no organization %q", org)
	}
	if role == "" {
		role = "member"
	}
	u := s.ensureAccount(user, "User")
	o.members[strings.ToLower(u.login)] = role
	return nil
}

// RemoveOrgMember removes a user from an org (and its teams).
func (s *Sim) RemoveOrgMember(org, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.accounts[strings.ToLower(org)]; o != nil && o.members != nil {
		delete(o.members, strings.ToLower(user))
	}
	for k, t := range s.teams {
		if strings.HasPrefix(k, strings.ToLower(org)+"/") {
			delete(t.members, strings.ToLower(user))
		}
	}
}

// AddTeam creates a team in org (its slug derived from name as GitHub does)
// with the given members; members join the org too. Returns the slug.
func (s *Sim) AddTeam(org, name string, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ensureAccount(org, "Organization")
	slug := teamSlug(name)
	k := strings.ToLower(o.login) + "/" + slug
	t := s.teams[k]
	if t == nil {
		t = &team{id: s.id(), org: o, name: name, slug: slug, privacy: "closed", members: map[string]string{}, createdAt: s.now().UTC()}
		s.teams[k] = t
	}
	for _, m := range members {
		u := s.ensureAccount(m, "User")
		t.members[strings.ToLower(u.login)] = "member"
		if _, ok := o.members[strings.ToLower(u.login)]; !ok {
			o.members[strings.ToLower(u.login)] = "member"
		}
	}
	return slug
}

func teamSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// TeamRepoPermission reports the permission a team has on a repository ("" if none).
func (s *Sim) TeamRepoPermission(org, slug, owner, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[strings.ToLower(org)+"/"+strings.ToLower(slug)]
	r := s.repos[strings.ToLower(owner+"/"+name)]
	if t == nil || r == nil {
		return ""
	}
	return r.teamPerms[t.id]
}

// GrantTeamRepo gives a team a permission ("pull" … "admin") on a
// repository, as an organisation owner would in the settings.
func (s *Sim) GrantTeamRepo(org, slug, owner, name, permission string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[strings.ToLower(org)+"/"+strings.ToLower(slug)]
	r := s.repos[strings.ToLower(owner+"/"+name)]
	if t == nil || r == nil {
		return fmt.Errorf("granting %s/%s access to %s/%s: no such team or repository", org, slug, owner, name)
	}
	r.teamPerms[t.id] = permission
	return nil
}

// Install installs the App on an account (created as an organization if
// missing), fires installation.created, and returns the installation id.
func (s *Sim) Install(acct string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[strings.ToLower(acct)]
	if a == nil {
		a = s.ensureAccount(acct, "Organization")
	}
	if in := s.instByAcc[strings.ToLower(a.login)]; in != nil {
		return in.id
	}
	in := &installation{id: s.id(), account: a, createdAt: s.now().UTC()}
	s.installs[in.id] = in
	s.instByAcc[strings.ToLower(a.login)] = in
	s.fireInstallation(in, "created", s.accounts[strings.ToLower(s.BotLogin())])
	return in.id
}

// Uninstall removes an installation, revokes its tokens and fires installation.deleted.
func (s *Sim) Uninstall(acct string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.instByAcc[strings.ToLower(acct)]
	if in == nil {
		return
	}
	s.fireInstallation(in, "deleted", in.account)
	delete(s.installs, in.id)
	delete(s.instByAcc, strings.ToLower(acct))
	for k, t := range s.tokens {
		if t.inst == in {
			delete(s.tokens, k)
		}
	}
}

// SetLimits replaces the rate limits (zero fields take defaults) and clears
// the current windows.
func (s *Sim) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l.withDefaults()
	s.primary = map[int64]*primaryBucket{}
	s.content = map[int64][]time.Time{}
}

// Counts is a snapshot of the request counters.
type Counts struct {
	// ByRoute counts requests per "METHOD /route/{pattern}" (the pattern
	// without the /api/v3 prefix).
	ByRoute map[string]int
	// ByInstallation counts requests made with each installation's tokens.
	ByInstallation map[int64]int
	// Total counts every request that reached a route.
	Total int
}

// Writes sums the non-GET requests of the snapshot.
func (c Counts) Writes() int {
	n := 0
	for k, v := range c.ByRoute {
		if !strings.HasPrefix(k, "GET ") {
			n += v
		}
	}
	return n
}

// Counts returns the exact request counters since New or ResetCounts.
func (s *Sim) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counts{ByRoute: map[string]int{}, ByInstallation: map[int64]int{}}
	for k, v := range s.counts {
		c.ByRoute[k] = v
		c.Total += v
	}
	for k, v := range s.countsByInst {
		c.ByInstallation[k] = v
	}
	return c
}

// ResetCounts zeroes the request counters.
func (s *Sim) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.countsByInst = map[int64]int{}
}

// UnknownRoutes lists "METHOD /path" of requests no route matched.
func (s *Sim) UnknownRoutes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unknown...)
}

// Violation is one request the simulator rejected for a rate limit.
type Violation struct {
	At           time.Time
	Installation int64
	Kind         string // primary, secondary-minute, secondary-hour, concurrent
	Method, Path string
}

// Violations lists every rate-limit violation so far.
func (s *Sim) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var _ http.Handler = (*Sim)(nil)
