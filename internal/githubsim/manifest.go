package githubsim

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// GitHub's App manifest flow (docs: "Registering a GitHub App from a
// manifest"), as the simulator serves it:
//
//  1. a page POSTs the form field manifest (JSON) to /settings/apps/new
//     (a user's App) or /organizations/ORG/settings/apps/new, with ?state=;
//  2. GitHub shows a "Create GitHub App" page; its button POSTs to
//     /settings/apps/new/create, which registers the App and redirects to
//     the manifest's redirect_url with ?code=&state=;
//  3. POST /app-manifests/{code}/conversions (no authentication) trades the
//     code, once and within an hour, for the App's id, key and secrets.
//
// The simulator serves one App: registering one makes the simulator that
// App (new id, key, slug, permissions, events and webhook).

// manifestCodeTTL is how long a conversion code is valid on GitHub.
const manifestCodeTTL = time.Hour

// appManifest is the part of a manifest the simulator reads; GitHub's
// parameters: name, url (required), hook_attributes, redirect_url,
// callback_urls, setup_url, description, public, default_events,
// default_permissions, request_oauth_on_install, setup_on_update.
type appManifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	HookAttributes *struct {
		URL    string `json:"url"`
		Active *bool  `json:"active"`
	} `json:"hook_attributes"`
	RedirectURL           string            `json:"redirect_url"`
	CallbackURLs          []string          `json:"callback_urls"`
	SetupURL              string            `json:"setup_url"`
	Description           string            `json:"description"`
	Public                bool              `json:"public"`
	DefaultEvents         []string          `json:"default_events"`
	DefaultPermissions    map[string]string `json:"default_permissions"`
	RequestOAuthOnInstall bool              `json:"request_oauth_on_install"`
	SetupOnUpdate         bool              `json:"setup_on_update"`
}

// registeredApp is what the manifest flow set; nil until then.
type registeredApp struct {
	name, description, url string
	events                 []string
	owner                  *account
	clientID, secret       string
	webhookSecret          string
	createdAt              time.Time
}

type manifestCode struct {
	expires time.Time
	pem     []byte
}

// SignIn sets the user the simulated web pages act for (the owner of a
// user's App registered through the manifest flow). Default "octocat".
func (s *Sim) SignIn(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webUser = login
}

var (
	orgNewAppPath = regexp.MustCompile(`^/organizations/([A-Za-z0-9-]+)/settings/apps/new$`)
	validPerm     = regexp.MustCompile(`^[a-z_]+$`)
)

// webPage returns the handler of a simulated github.com page, or nil for
// API paths.
func (s *Sim) webPage(r *http.Request) http.HandlerFunc {
	switch {
	case r.URL.Path == "/settings/apps/new":
		return func(w http.ResponseWriter, r *http.Request) { s.newAppPage(w, r, "") }
	case orgNewAppPath.MatchString(r.URL.Path):
		org := orgNewAppPath.FindStringSubmatch(r.URL.Path)[1]
		return func(w http.ResponseWriter, r *http.Request) { s.newAppPage(w, r, org) }
	case r.URL.Path == "/settings/apps/new/create":
		return s.createAppFromPage
	}
	return nil
}

// parseManifest checks a manifest as GitHub does before showing the page.
func parseManifest(raw string) (appManifest, error) {
	var m appManifest
	dec := json.NewDecoder(strings.NewReader(raw))
	if raw == "" {
		return m, fmt.Errorf("no manifest was posted")
	}
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("the manifest is not a JSON object: %v", err)
	}
	var problems []string
	if u, err := url.Parse(m.URL); m.URL == "" || err != nil || u.Host == "" {
		problems = append(problems, "url is required and must be an absolute URL")
	}
	if m.HookAttributes != nil {
		if u, err := url.Parse(m.HookAttributes.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			problems = append(problems, "hook_attributes.url must be an http(s) URL")
		}
	}
	if u, err := url.Parse(m.RedirectURL); m.RedirectURL != "" && (err != nil || u.Host == "") {
		problems = append(problems, "redirect_url must be an absolute URL")
	}
	for p, level := range m.DefaultPermissions {
		if !validPerm.MatchString(p) || (level != "read" && level != "write" && level != "admin") {
			problems = append(problems, fmt.Sprintf("default_permissions.%s: %q is not read, write or admin", p, level))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return m, fmt.Errorf("invalid manifest: %s", strings.Join(problems, "; "))
	}
	return m, nil
}

// newAppTmpl is parsed on first use: the simulator is linked into every
// goldenpath command (for demo), and parsing an html/template at package
// initialisation cost each of them milliseconds of start-up.
var newAppTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("new").Parse(newAppHTML))
})

const newAppHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Create GitHub App</title></head>
<body>
<h1>Create GitHub App for {{.Owner}}</h1>
<form method="post" action="/settings/apps/new/create">
<p><label>GitHub App name <input id="app-name" name="name" value="{{.M.Name}}" required></label></p>
<p>Homepage URL: {{.M.URL}}</p>
{{with .M.HookAttributes}}<p>Webhook URL: <code id="webhook-url">{{.URL}}</code></p>{{end}}
<h2>Permissions</h2><ul>{{range .Perms}}<li>{{.}}</li>{{end}}</ul>
<h2>Events</h2><ul>{{range .M.DefaultEvents}}<li>{{.}}</li>{{end}}</ul>
<input type="hidden" name="manifest" value="{{.Raw}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="org" value="{{.Org}}">
<button type="submit" id="create-app">Create GitHub App for {{.Owner}}</button>
</form>
</body></html>
`

func (s *Sim) newAppPage(w http.ResponseWriter, r *http.Request, org string) {
	if r.Method != http.MethodPost {
		http.Error(w, "The manifest flow starts with a form POST of manifest=JSON.", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "reading the form: "+err.Error(), http.StatusBadRequest)
		return
	}
	raw := r.PostForm.Get("manifest")
	m, err := parseManifest(raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	s.mu.Lock()
	owner, ok := s.webOwner(org)
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	var perms []string
	for p, level := range m.DefaultPermissions {
		perms = append(perms, p+": "+level)
	}
	sort.Strings(perms)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = newAppTmpl().Execute(w, map[string]any{"Owner": owner.login, "M": m, "Raw": raw, "Perms": perms, "State": r.URL.Query().Get("state"), "Org": org})
}

// webOwner is the account a new App belongs to: the organisation, or the
// signed-in user. Called with s.mu held.
func (s *Sim) webOwner(org string) (*account, bool) {
	if org != "" {
		a := s.accounts[strings.ToLower(org)]
		return a, a != nil && a.typ == "Organization"
	}
	login := s.webUser
	if login == "" {
		login = "octocat"
	}
	return s.ensureAccount(login, "User"), true
}

var appSlugChars = regexp.MustCompile(`[^a-z0-9]+`)

func (s *Sim) createAppFromPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "expected the form of the Create GitHub App page", http.StatusBadRequest)
		return
	}
	m, err := parseManifest(r.PostForm.Get("manifest"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	if name := strings.TrimSpace(r.PostForm.Get("name")); name != "" {
		m.Name = name
	}
	slug := strings.Trim(appSlugChars.ReplaceAllString(strings.ToLower(m.Name), "-"), "-")
	if slug == "" {
		http.Error(w, "Name can't be blank", http.StatusUnprocessableEntity)
		return
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		http.Error(w, "generating the App key: "+err.Error(), http.StatusInternalServerError)
		return
	}
	code := randomHex(20)

	s.mu.Lock()
	owner, ok := s.webOwner(r.PostForm.Get("org"))
	if !ok {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	s.key, s.appID, s.appSlug = key, s.id(), slug
	s.ensureAccount(s.BotLogin(), "Bot")
	if m.DefaultPermissions != nil {
		s.setPerms(m.DefaultPermissions)
	}
	app := &registeredApp{name: m.Name, description: m.Description, url: m.URL, events: m.DefaultEvents, owner: owner,
		clientID: "Iv1." + randomHex(8), secret: randomHex(20), createdAt: s.now().UTC()}
	if m.HookAttributes != nil && (m.HookAttributes.Active == nil || *m.HookAttributes.Active) {
		app.webhookSecret = randomHex(20)
		s.webhook = webhookConfig{url: m.HookAttributes.URL, secret: app.webhookSecret, hookID: 271828}
	}
	s.registered = app
	s.manifestCodes[code] = manifestCode{expires: s.now().Add(manifestCodeTTL), pem: s.AppPrivateKeyPEM()}
	s.mu.Unlock()

	if m.RedirectURL == "" {
		http.Redirect(w, r, "/apps/"+slug, http.StatusFound)
		return
	}
	target, _ := url.Parse(m.RedirectURL)
	q := target.Query()
	q.Set("code", code)
	if state := r.PostForm.Get("state"); state != "" {
		q.Set("state", state)
	}
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// convertManifest is POST /app-manifests/{code}/conversions.
func (s *Sim) convertManifest(c *call) {
	code := c.path("code")
	mc, ok := s.manifestCodes[code]
	if !ok || !s.now().Before(mc.expires) {
		c.notFound()
		return
	}
	delete(s.manifestCodes, code)
	out := s.appJSON()
	out["client_id"] = s.registered.clientID
	out["client_secret"] = s.registered.secret
	out["pem"] = string(mc.pem)
	if s.registered.webhookSecret != "" {
		out["webhook_secret"] = s.registered.webhookSecret
	} else {
		out["webhook_secret"] = nil
	}
	c.json(http.StatusCreated, out)
}

// appIdentity is the App's name, description, homepage, events, owner and
// creation time: the manifest's once one was registered.
func (s *Sim) appIdentity() (name, description, homepage string, events []string, owner *account, created time.Time) {
	bot := s.accounts[strings.ToLower(s.BotLogin())]
	if r := s.registered; r != nil {
		events := r.events
		if events == nil {
			events = []string{}
		}
		return r.name, r.description, r.url, events, r.owner, r.createdAt
	}
	return s.appSlug, "Golden path scaffolder", s.htmlBase(), appEvents, bot, bot.createdAt
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
