package setup

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/joho/godotenv"
)

// Options configure one run of the manifest flow.
type Options struct {
	AppYML     []byte // the App manifest in Probot's app.yml format
	GitHubURL  string // GitHub's web address (default https://github.com)
	Org        string // register the App in this organisation ("": the signed-in user's)
	WebhookURL string // where GitHub will post deliveries ("": the page asks)
	EnvPath    string // the .env to write (default .env)
	Force      bool   // replace the App values .env already holds
	// Listen is the local address of the setup page (default
	// 127.0.0.1:3000); port 0 picks a free one.
	Listen string
	// HTTPClient talks to GitHub's API (default: 30 s timeout).
	HTTPClient *http.Client
	// Ready is told the setup page's URL once it listens.
	Ready  func(pageURL string)
	Logger *slog.Logger
}

// Result is the registered App.
type Result struct {
	AppID       int64
	Slug        string
	HTMLURL     string
	InstallURL  string
	EnvPath     string
	KeyPath     string
	WrittenKeys []string
}

// Run serves the setup page until GitHub redirects back with a code, trades
// the code for the App's credentials, writes them (the key to a 0600 file
// beside .env, the rest into .env, mode 0600) and returns the App.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts.defaults()
	if err := CheckGitHubURL(opts.GitHubURL); err != nil {
		return Result{}, err
	}
	if opts.WebhookURL != "" {
		if err := checkHTTPURL("--webhook-url", opts.WebhookURL); err != nil {
			return Result{}, err
		}
	}
	if _, err := existingEnv(opts.EnvPath, opts.Force); err != nil {
		return Result{}, err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return Result{}, fmt.Errorf("listening on %s for the setup page: %w", opts.Listen, err)
	}
	f := &flow{opts: opts, state: randomHex(16), base: "http://" + ln.Addr().String(), done: make(chan flowEnd, 1)}
	srv := &http.Server{Handler: f.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if opts.Ready != nil {
		opts.Ready(f.base + "/")
	}
	select {
	case end := <-f.done:
		return end.result, end.err
	case <-ctx.Done():
		return Result{}, fmt.Errorf("waiting for GitHub to send the browser back: %w", ctx.Err())
	}
}

func (o *Options) defaults() {
	if o.GitHubURL == "" {
		o.GitHubURL = GitHubDotCom
	}
	o.GitHubURL = strings.TrimRight(o.GitHubURL, "/")
	if o.EnvPath == "" {
		o.EnvPath = ".env"
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:3000"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// existingEnv reads the .env at path (nil if missing) and refuses one that
// already names an App, unless force.
func existingEnv(path string, force bool) (map[string]string, error) {
	vals, err := godotenv.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if c := Conflicts(vals); len(c) > 0 && !force {
		return nil, fmt.Errorf("%s already sets %s; use --force to replace them with a new App", path, strings.Join(c, ", "))
	}
	return vals, nil
}

type flowEnd struct {
	result Result
	err    error
}

type flow struct {
	opts  Options
	state string
	base  string // the setup page's own URL
	done  chan flowEnd
}

func (f *flow) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", f.start)
	mux.HandleFunc("GET /callback", f.callback)
	return mux
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>goldenpath setup</title></head>
<body>
<h1>Register the goldenpath GitHub App</h1>
{{if .Problem}}<p id="problem" style="color:#b00">{{.Problem}}</p>{{end}}
{{if .AskWebhook}}
<form method="get" action="/">
<p><label>Webhook URL: where GitHub will post deliveries to <code>goldenpath serve</code>
(its <code>WEBHOOK_PATH</code>, default <code>/api/github/webhooks</code>)<br>
<input id="webhook-url" name="webhook_url" size="60" placeholder="{{.Placeholder}}" required></label></p>
<button type="submit" id="next">Next</button>
</form>
{{else}}
<p>GitHub will register <b>{{.Name}}</b> {{if .Org}}in the organisation <b>{{.Org}}</b>{{else}}for your account{{end}}
on <a href="{{.GitHub}}">{{.GitHub}}</a>, with the permissions and events of <code>app.yml</code>,
deliveries to <code>{{.Webhook}}</code>, and send you back here.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit" id="register">Register on GitHub</button>
</form>
{{end}}
</body></html>
`))

var donePage = template.Must(template.New("done").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>goldenpath setup: done</title></head>
<body>
<h1 id="done">{{.Slug}} is registered (App id {{.AppID}})</h1>
<p>Its credentials are in <code>{{.EnvPath}}</code> and <code>{{.KeyPath}}</code> (mode 0600). Next:</p>
<ol><li><a id="install" href="{{.InstallURL}}">Install the App</a> on the organisation and its templates repository.</li>
<li>Run <code>goldenpath serve</code> in this folder.</li></ol>
<p>You can close this page.</p>
</body></html>
`))

// start is the setup page: it asks for the webhook URL if it is not known
// yet, then offers the form that posts the manifest to GitHub.
func (f *flow) start(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Placeholder": WebhookPlaceholder, "GitHub": f.opts.GitHubURL, "Org": f.opts.Org}
	webhook := f.opts.WebhookURL
	if webhook == "" {
		webhook = strings.TrimSpace(r.URL.Query().Get("webhook_url"))
	}
	if webhook == "" {
		data["AskWebhook"] = true
		writePage(w, http.StatusOK, pageTmpl, data)
		return
	}
	manifest, err := Manifest(f.opts.AppYML, webhook, f.base+"/callback")
	if err != nil {
		data["AskWebhook"] = f.opts.WebhookURL == ""
		data["Problem"] = err.Error()
		writePage(w, http.StatusBadRequest, pageTmpl, data)
		return
	}
	name := manifestName(f.opts.AppYML)
	data["Name"], data["Webhook"], data["Manifest"] = name, webhook, string(manifest)
	data["Action"] = NewAppURL(f.opts.GitHubURL, f.opts.Org, f.state)
	writePage(w, http.StatusOK, pageTmpl, data)
}

// callback is where GitHub sends the browser back with ?code=&state=.
func (f *flow) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1 {
		http.Error(w, "This is not the answer to the setup page's request (the state does not match); start again from the setup page.", http.StatusBadRequest)
		return
	}
	code := q.Get("code")
	if code == "" {
		http.Error(w, "GitHub sent no code.", http.StatusBadRequest)
		return
	}
	res, err := f.finish(r.Context(), code)
	if err != nil {
		f.opts.Logger.Error("finishing the App registration", "err", err)
		http.Error(w, "Registering the App failed: "+err.Error(), http.StatusBadGateway)
	} else {
		writePage(w, http.StatusOK, donePage, res)
	}
	select {
	case f.done <- flowEnd{result: res, err: err}:
	default:
	}
}

// finish trades the code for the App's credentials and writes them.
func (f *flow) finish(ctx context.Context, code string) (Result, error) {
	gh := github.NewClient(f.opts.HTTPClient)
	if f.opts.GitHubURL != GitHubDotCom {
		var err error
		if gh, err = gh.WithEnterpriseURLs(APIURL(f.opts.GitHubURL), APIURL(f.opts.GitHubURL)); err != nil {
			return Result{}, fmt.Errorf("using %s: %w", f.opts.GitHubURL, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cfg, _, err := gh.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		return Result{}, fmt.Errorf("trading the code for the App's credentials: %w", err)
	}
	if cfg.GetID() == 0 || cfg.GetPEM() == "" || cfg.GetSlug() == "" {
		return Result{}, errors.New("trading the code for the App's credentials: GitHub's answer lacks the App's id, slug or key")
	}
	res := Result{AppID: cfg.GetID(), Slug: cfg.GetSlug(), HTMLURL: cfg.GetHTMLURL(), EnvPath: f.opts.EnvPath}
	res.InstallURL = strings.TrimRight(res.HTMLURL, "/") + "/installations/new"
	res.KeyPath = filepath.Join(filepath.Dir(f.opts.EnvPath), res.Slug+".private-key.pem")
	set := map[string]string{
		KeyAppID:        strconv.FormatInt(res.AppID, 10),
		KeyPrivateKeyAt: res.KeyPath,
		KeyWebhook:      cfg.GetWebhookSecret(),
		KeyClientID:     cfg.GetClientID(),
		KeyClientSecret: cfg.GetClientSecret(),
	}
	if f.opts.GitHubURL != GitHubDotCom {
		set[KeyAPIURL] = APIURL(f.opts.GitHubURL)
	}
	if err := writeCredentials(f.opts, res.KeyPath, []byte(cfg.GetPEM()), set); err != nil {
		return Result{}, err
	}
	for k := range set {
		res.WrittenKeys = append(res.WrittenKeys, k)
	}
	return res, nil
}

// writeCredentials writes the key file and updates .env, both 0600, each
// atomically; an existing App's values are replaced only with Force.
func writeCredentials(opts Options, keyPath string, pem []byte, set map[string]string) error {
	if _, err := existingEnv(opts.EnvPath, opts.Force); err != nil {
		return err
	}
	if _, err := os.Stat(keyPath); err == nil && !opts.Force {
		return fmt.Errorf("%s exists; use --force to replace it", keyPath)
	}
	if err := writeFile0600(keyPath, pem); err != nil {
		return err
	}
	old, err := os.ReadFile(opts.EnvPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", opts.EnvPath, err)
	}
	return writeFile0600(opts.EnvPath, UpdateEnv(old, set, []string{KeyPrivateKey}))
}

// writeFile0600 replaces path with data through a temporary file in the
// same folder, so a crash leaves the old file or the new one.
func writeFile0600(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func writePage(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action *")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic("setup: reading random bytes: " + err.Error())
	}
	return hex.EncodeToString(b)
}
