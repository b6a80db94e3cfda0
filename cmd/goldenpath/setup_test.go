package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/joho/godotenv"

	"github.com/goldenpath-dev/goldenpath/internal/apispec"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// TestSetupInBrowser registers the App through GitHub's manifest flow as a
// person would: a real headless Chromium opens `goldenpath setup`'s page,
// types the webhook URL, is sent to the simulator's "Create GitHub App"
// page for the organisation and clicks its button; the simulator redirects
// back with a code that setup trades for the credentials (the exchange
// checked against GitHub's OpenAPI description). Then `goldenpath serve`
// starts from the .env it wrote, which needs GET /app to succeed.
//
// GOLDENPATH_TEST_ARTIFACTS=DIR keeps the screenshot of GitHub's page there.
func TestSetupInBrowser(t *testing.T) {
	chromium := testenv.Tool(t, "chromium")
	spec := apispec.Load(t)
	spec.Exempt("/settings/", "/organizations/", "/favicon.ico") // github.com's pages and the browser's icon request, not the REST API
	t.Cleanup(func() { spec.AssertClean(t) })

	sim := githubsim.New(githubsim.Options{})
	sim.AddOrg("acme", "alice")
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(spec.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		sim.ServeHTTP(rec, r)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+strconv.Itoa(rec.status))
		mu.Unlock()
	})))
	t.Cleanup(srv.Close)
	oldAppID := sim.AppID()

	dir := t.TempDir()
	envPath := filepath.Join(dir, ".env")
	if err := os.WriteFile(envPath, []byte("# mine\nLOG_LEVEL=debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"setup", "--org", "acme", "--github-url", srv.URL, "--listen", "127.0.0.1:0", "--env", envPath}, &stdout, &stderr)
	}()
	var page string
	pageRe := regexp.MustCompile(`Open (http://127\.0\.0\.1:\d+/) in a browser`)
	waitFor(t, 30*time.Second, "setup to serve its page", func() bool {
		m := pageRe.FindStringSubmatch(stdout.String())
		if m != nil {
			page = m[1]
		}
		return m != nil
	})

	port := freePort(t)
	webhook := "http://127.0.0.1:" + strconv.Itoa(port) + "/api/github/webhooks"
	pages, err := clickThroughManifestFlow(ctx, chromium, page, webhook)
	if err != nil {
		t.Fatalf("%v\nsetup stdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	githubPage, done, install, shot := pages.github, pages.done, pages.install, pages.screenshot
	saveScreenshot(t, shot)
	for _, want := range []string{"Create GitHub App for acme", "Webhook URL: " + webhook, "contents: write", "issue_comment"} {
		if !strings.Contains(githubPage, want) {
			t.Errorf("GitHub's new-App page lacks %q:\n%s", want, githubPage)
		}
	}

	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("setup exited %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("setup did not finish after GitHub's redirect")
	}
	wantInstall := srv.URL + "/apps/goldenpath/installations/new"
	if install != wantInstall || !strings.Contains(stdout.String(), "Install it: "+wantInstall) {
		t.Errorf("install link: page %q, stdout:\n%s\nwant %s", install, stdout.String(), wantInstall)
	}
	if sim.AppID() == oldAppID || !strings.Contains(done, strconv.FormatInt(sim.AppID(), 10)) {
		t.Errorf("the simulator's App is %d (before: %d); the page says %q", sim.AppID(), oldAppID, done)
	}

	env := checkWrittenEnv(t, envPath, sim, srv.URL)
	assertNoSecrets(t, "setup's output", stdout.String()+stderr.String(), env["WEBHOOK_SECRET"], env["GITHUB_CLIENT_SECRET"])

	code, _, errOut := execGoldenpath(t, "setup", "--env", envPath, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "already sets APP_ID") || !strings.Contains(errOut, "--force") {
		t.Errorf("a second setup over the written .env: exit %d: %s", code, errOut)
	}

	// goldenpath serve starts from that .env alone (plus where to listen and
	// its database), which it refuses to do unless GET /app succeeds.
	p := startServe(t, dir, map[string]string{"HOST": "127.0.0.1", "PORT": strconv.Itoa(port), "DATABASE_URL": "sqlite://" + filepath.Join(dir, "gp.db")})
	p.waitReady(t, "http://127.0.0.1:"+strconv.Itoa(port))
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(seen, "GET /api/v3/app 200") {
		t.Errorf("serve never got GET /app answered 200; the simulator saw %v", seen)
	}
}

// flowPages is what the browser saw on the manifest flow.
type flowPages struct {
	github, done, install string // GitHub's page text, setup's last heading, its install link
	screenshot            []byte // GitHub's page, PNG
}

// clickThroughManifestFlow drives headless Chromium through setup's page and
// GitHub's: type the webhook URL, register, create the App.
func clickThroughManifestFlow(ctx context.Context, chromium, page, webhook string) (flowPages, error) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1000, 800))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	var p flowPages
	err := chromedp.Do(browser,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("webhook-url")),
		chromedp.SendKeys(chromedp.ID("webhook-url"), webhook),
		chromedp.Click(chromedp.ID("next")),
		chromedp.WaitVisible(chromedp.ID("register")),
		chromedp.Click(chromedp.ID("register")),
		chromedp.WaitVisible(chromedp.ID("create-app")),
	)
	if err != nil {
		return p, fmt.Errorf("clicking through setup's page to GitHub's: %w", err)
	}
	if p.github, err = chromedp.Run(browser, chromedp.Text(chromedp.CSS("body"))); err != nil {
		return p, fmt.Errorf("reading GitHub's page: %w", err)
	}
	if p.screenshot, err = chromedp.Run(browser, chromedp.FullScreenshot(100)); err != nil {
		return p, fmt.Errorf("taking a screenshot: %w", err)
	}
	if err := chromedp.Do(browser, chromedp.Click(chromedp.ID("create-app")), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		return p, fmt.Errorf("creating the App on GitHub's page: %w", err)
	}
	if p.done, err = chromedp.Run(browser, chromedp.Text(chromedp.ID("done"))); err != nil {
		return p, fmt.Errorf("reading setup's last page: %w", err)
	}
	install, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.ID("install"), "href"))
	if err != nil {
		return p, fmt.Errorf("reading the install link: %w", err)
	}
	p.install = install.Value
	return p, nil
}

// checkWrittenEnv checks the .env and key file setup wrote and returns the
// .env's values.
func checkWrittenEnv(t *testing.T, envPath string, sim *githubsim.Sim, simURL string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(envPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# mine\nLOG_LEVEL=debug\n") {
		t.Errorf(".env lost what it held:\n%s", data)
	}
	env, err := godotenv.Unmarshal(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"WEBHOOK_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"} {
		if env[k] == "" {
			t.Errorf(".env has no %s:\n%s", k, data)
		}
	}
	if env["APP_ID"] != strconv.FormatInt(sim.AppID(), 10) || env["GITHUB_API_URL"] != simURL+"/api/v3" {
		t.Errorf(".env: APP_ID %q (want %d), GITHUB_API_URL %q", env["APP_ID"], sim.AppID(), env["GITHUB_API_URL"])
	}
	key, err := os.ReadFile(env["PRIVATE_KEY_PATH"])
	if err != nil || !bytes.Equal(key, sim.AppPrivateKeyPEM()) {
		t.Errorf("PRIVATE_KEY_PATH %q does not hold the App's key: %v", env["PRIVATE_KEY_PATH"], err)
	}
	for _, p := range []string{envPath, env["PRIVATE_KEY_PATH"]} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600 (%v)", p, st.Mode().Perm(), err)
		}
	}
	return env
}

func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	dir := os.Getenv("GOLDENPATH_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, "setup-github-new-app.png")
	if len(png) == 0 {
		t.Error("the browser took no screenshot")
		return
	}
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of GitHub's new-App page: %s", p)
}
