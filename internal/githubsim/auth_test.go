package githubsim_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strconv"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

func TestAppJWT(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	// The real ghinstallation flow works.
	app, _, err := e.app.Apps.Get(ctx(t), "")
	if err != nil || app.GetID() != e.sim.AppID() {
		t.Fatalf("GET /app: %v %v", app, err)
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(e.sim.AppPrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	iss := strconv.FormatInt(e.sim.AppID(), 10)
	tests := []struct {
		name     string
		key      *rsa.PrivateKey
		iss      string
		iat, exp time.Time
		want     int
	}{
		{"valid", key, iss, now.Add(-30 * time.Second), now.Add(9 * time.Minute), 200},
		{"iat within the 60 s skew", key, iss, now.Add(50 * time.Second), now.Add(5 * time.Minute), 200},
		{"iat beyond the skew", key, iss, now.Add(90 * time.Second), now.Add(5 * time.Minute), 401},
		{"expired", key, iss, now.Add(-11 * time.Minute), now.Add(-time.Minute), 401},
		{"exp over 10 minutes", key, iss, now, now.Add(12 * time.Minute), 401},
		{"bad signature", other, iss, now, now.Add(5 * time.Minute), 401},
		{"wrong issuer", key, "1", now, now.Add(5 * time.Minute), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{Issuer: tc.iss,
				IssuedAt: jwt.NewNumericDate(tc.iat), ExpiresAt: jwt.NewNumericDate(tc.exp)}).SignedString(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if got := getStatus(t, e.srv.URL+"/app", "Bearer "+tok); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
	// An installation token is not accepted on /app.
	tok, err := e.sim.InstallationToken(e.instID)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/app", nil)
	req.Header.Set("Authorization", "token "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("installation token on /app: %d", resp.StatusCode)
	}
}

func TestInstallationTokens(t *testing.T) {
	clock := time.Now()
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	now := func() time.Time { <-mu; defer func() { mu <- struct{}{} }(); return clock }
	setNow := func(t time.Time) { <-mu; clock = t; mu <- struct{}{} }
	e := newEnv(t, githubsim.Options{Now: now, TokenTTL: 30 * time.Minute})
	e.sim.AddOrg("other")
	otherInst := e.sim.Install("other")
	if err := e.sim.CreateRepo("other", "secret", githubsim.RepoOptions{Private: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.CreateRepo("acme", "mine", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.app.Apps.CreateInstallationToken(ctx(t), e.instID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := tok.GetExpiresAt().Sub(clock); d < 29*time.Minute || d > 31*time.Minute {
		t.Fatalf("token expires in %v, want the configured 30m", d)
	}
	get := func(token, path string) int { return getStatus(t, e.srv.URL+"/api/v3"+path, "token "+token) }
	if got := get(tok.GetToken(), "/repos/acme/mine"); got != 200 {
		t.Fatalf("own repo: %d", got)
	}
	// Scoped to its account: another installation's repository does not exist for it.
	if got := get(tok.GetToken(), "/repos/other/secret"); got != 404 {
		t.Fatalf("other account's repo: %d, want 404", got)
	}
	if got := get(tok.GetToken(), "/orgs/other/members/alice"); got != 404 {
		t.Fatalf("other org's membership: %d, want 404", got)
	}
	if got := get("ghs_nope", "/repos/acme/mine"); got != 401 {
		t.Fatalf("unknown token: %d, want 401", got)
	}
	if got := get("", "/repos/acme/mine"); got != 401 {
		t.Fatalf("no token: %d, want 401", got)
	}
	setNow(clock.Add(31 * time.Minute))
	if got := get(tok.GetToken(), "/repos/acme/mine"); got != 401 {
		t.Fatalf("expired token: %d, want 401", got)
	}
	// The App finds installations by repository and org.
	setNow(time.Now())
	in, _, err := e.app.Apps.FindRepositoryInstallation(ctx(t), "other", "secret")
	if err != nil || in.GetID() != otherInst {
		t.Fatalf("repo installation: %v %v", in, err)
	}
	in, _, err = e.app.Apps.FindOrganizationInstallation(ctx(t), "acme")
	if err != nil || in.GetID() != e.instID {
		t.Fatalf("org installation: %v %v", in, err)
	}
	list, _, err := e.app.Apps.ListInstallations(ctx(t), nil)
	if err != nil || len(list) != 2 {
		t.Fatalf("installations: %d %v", len(list), err)
	}
}

// TestExpireTokens: a token ended mid-run is refused with 401 "Bad
// credentials"; a new token works.
func TestExpireTokens(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "mine", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	get := func(token string) int { return getStatus(t, e.srv.URL+"/api/v3/repos/acme/mine", "token "+token) }
	old, err := e.sim.InstallationToken(e.instID)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(old); got != 200 {
		t.Fatalf("fresh token: %d", got)
	}
	if n := e.sim.ExpireTokens(); n < 1 {
		t.Fatalf("ExpireTokens ended %d tokens, want at least 1", n)
	}
	if got := get(old); got != 401 {
		t.Fatalf("ended token: %d, want 401", got)
	}
	fresh, err := e.sim.InstallationToken(e.instID)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(fresh); got != 200 {
		t.Fatalf("new token: %d, want 200", got)
	}
}

// getStatus sends GET url with the Authorization header authz and returns
// the status.
func getStatus(t *testing.T, url, authz string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", authz)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
