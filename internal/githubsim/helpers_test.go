package githubsim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// env is a simulator served over real HTTP with an org "acme" where the
// App is installed, and clients as the App (JWT) and as the installation.
type env struct {
	sim    *githubsim.Sim
	srv    *httptest.Server
	app    *github.Client
	gh     *github.Client
	instID int64
}

func newEnv(t *testing.T, opts githubsim.Options) *env {
	t.Helper()
	sim := githubsim.New(opts)
	srv := httptest.NewServer(validating(t, sim.Handler()))
	t.Cleanup(srv.Close)
	sim.AddOrg("acme", "alice", "bob")
	inst := sim.Install("acme")
	return &env{sim: sim, srv: srv, app: appClient(t, sim, srv.URL), gh: instClient(t, sim, srv.URL, inst), instID: inst}
}

func appClient(t *testing.T, sim *githubsim.Sim, url string) *github.Client {
	t.Helper()
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, sim.AppID(), sim.AppPrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = url + "/api/v3"
	c, err := github.NewClient(&http.Client{Transport: atr, Timeout: 10 * time.Second}).WithEnterpriseURLs(url, url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func instClient(t testing.TB, sim *githubsim.Sim, url string, inst int64) *github.Client {
	t.Helper()
	itr, err := ghinstallation.New(http.DefaultTransport, sim.AppID(), inst, sim.AppPrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = url + "/api/v3"
	c, err := github.NewClient(&http.Client{Transport: itr, Timeout: 10 * time.Second}).WithEnterpriseURLs(url, url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// status extracts the HTTP status and message of a go-github error.
func status(err error) (int, string) {
	if e, ok := err.(*github.ErrorResponse); ok {
		msg := e.Message
		for _, x := range e.Errors {
			if x.Message != "" {
				msg += " | " + x.Message
			}
			if x.Code != "" {
				msg += " | " + x.Code
			}
		}
		return e.Response.StatusCode, msg
	}
	if e, ok := err.(*github.AbuseRateLimitError); ok {
		return e.Response.StatusCode, e.Message
	}
	if e, ok := err.(*github.RateLimitError); ok {
		return e.Response.StatusCode, e.Message
	}
	return 0, ""
}
