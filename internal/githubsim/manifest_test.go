package githubsim_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestManifestFlow walks GitHub's App manifest flow against the simulator
// over HTTP: the new-App page, its create button's redirect with code and
// state, and the one-time conversion, after which the simulator is the new
// App (its key signs the JWT GET /app accepts).
func TestManifestFlow(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	manifest := `{"name":"Golden Path","url":"https://example.com/gp","hook_attributes":{"url":"https://gp.example.com/hooks"},` +
		`"redirect_url":"http://127.0.0.1:9/callback?x=1","default_events":["issues"],"default_permissions":{"contents":"write","issues":"write"}}`

	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := noRedirect.PostForm(e.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	for _, tt := range []struct{ path, manifest, want string }{
		{"/settings/apps/new", `{"name":"x"}`, "url is required"},
		{"/settings/apps/new", `[1]`, "not a JSON object"},
		{"/settings/apps/new", `{"url":"https://e.com","default_permissions":{"contents":"owner"}}`, `"owner" is not read, write or admin`},
	} {
		resp, body := post(tt.path, url.Values{"manifest": {tt.manifest}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("POST %s %s: %d %s, want 422 with %q", tt.path, tt.manifest, resp.StatusCode, body, tt.want)
		}
	}
	if resp, _ := post("/organizations/nobody/settings/apps/new?state=s", url.Values{"manifest": {manifest}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("new-App page of an unknown organisation: %d, want 404", resp.StatusCode)
	}

	resp, page := post("/organizations/acme/settings/apps/new?state=st4te", url.Values{"manifest": {manifest}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Create GitHub App for acme") || !strings.Contains(page, "contents: write") {
		t.Fatalf("new-App page: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = post("/settings/apps/new/create", url.Values{"manifest": {manifest}, "state": {"st4te"}, "org": {"acme"}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "127.0.0.1:9" || loc.Query().Get("state") != "st4te" || loc.Query().Get("x") != "1" || loc.Query().Get("code") == "" {
		t.Fatalf("create: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := loc.Query().Get("code")

	app, _, err := e.app.Apps.CompleteAppManifest(ctx(t), code)
	if err != nil {
		t.Fatal(err)
	}
	if app.GetID() != e.sim.AppID() || app.GetSlug() != "golden-path" || app.GetName() != "Golden Path" || app.GetOwner().GetLogin() != "acme" ||
		app.GetWebhookSecret() == "" || app.GetClientSecret() == "" || app.GetPEM() != string(e.sim.AppPrivateKeyPEM()) {
		t.Errorf("conversion: %+v", app)
	}
	_, _, err = e.app.Apps.CompleteAppManifest(ctx(t), code)
	if got, _ := status(err); got != http.StatusNotFound {
		t.Errorf("a second conversion of the same code: %v, want 404", err)
	}
	// The new App's key now signs the App's JWT.
	got, _, err := appClient(t, e.sim, e.srv.URL).Apps.Get(ctx(t), "")
	if err != nil || got.GetSlug() != "golden-path" || got.GetPermissions().GetContents() != "write" || len(got.Events) != 1 {
		t.Errorf("GET /app as the new App: %+v, %v", got, err)
	}
}
