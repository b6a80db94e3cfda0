package app_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/app"
	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// TestEveryRoutedEventIsQueued posts a signed delivery of every event the
// process has a handler for to its own HTTP server: each must be queued, not
// acknowledged and dropped by a webhook allow-list that fell behind.
func TestEveryRoutedEventIsQueued(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "routes-test-secret"
	a, err := app.New(t.Context(), app.Options{Config: config.Server{
		AppID:         1,
		PrivateKey:    key,
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		WebhookSecret: secret,
		WebhookPath:   config.DefaultWebhookPath,
		GitHubAPIURL:  "http://127.0.0.1:1",
		DatabaseURL:   storetest.URL(t, store.SQLite),
		TemplatesRepo: config.DefaultTemplatesRepo,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	// A delivery every workflow may act on (the intake answers the others
	// without a job; TestRelevance covers those).
	body := []byte(`{"action":"renamed","installation":{"id":7},"ref":"refs/heads/main",` +
		`"repository":{"name":"golden-paths","default_branch":"main"},"pull_request":{"head":{"ref":"goldenpath/upgrade-go-service"}}}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	events := a.Events()
	if len(events) == 0 {
		t.Fatal("the app routes no events")
	}
	for _, event := range events {
		req := httptest.NewRequest(http.MethodPost, config.DefaultWebhookPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", "delivery-"+event)
		req.Header.Set("X-Hub-Signature-256", sig)
		w := httptest.NewRecorder()
		a.Server.Handler().ServeHTTP(w, req)
		var reply struct{ Message string }
		_ = json.Unmarshal(w.Body.Bytes(), &reply)
		if w.Code != http.StatusAccepted || reply.Message != "queued" {
			t.Errorf("%s delivery: %d %q, want 202 queued", event, w.Code, reply.Message)
		}
	}
}
