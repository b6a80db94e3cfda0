package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
)

var (
	keyOnce sync.Once
	keyPEM  string // PKCS#1
	key8PEM string // PKCS#8
)

func testKey(t *testing.T) (string, string) {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
		b, _ := x509.MarshalPKCS8PrivateKey(k)
		key8PEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
	})
	return keyPEM, key8PEM
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	pkcs1, pkcs8 := testKey(t)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, []byte(pkcs1), 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-value"
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"APP_ID": "123", "WEBHOOK_SECRET": secret, "PRIVATE_KEY": pkcs1}
		for k, v := range extra {
			if v == "<unset>" {
				delete(m, k)
				continue
			}
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // substring; "" → valid
		check   func(t *testing.T, s config.Server)
	}{
		{name: "defaults", env: base(nil), check: func(t *testing.T, s config.Server) {
			if s.AppID != 123 || s.Port != 3000 || s.Addr() != ":3000" || s.WebhookPath != "/api/github/webhooks" ||
				s.GitHubAPIURL != "https://api.github.com" || s.DatabaseURL != "sqlite://goldenpath.db" ||
				s.TemplatesRepo != "golden-paths" || s.LogLevel != slog.LevelInfo || s.PrivateKey == nil {
				t.Fatalf("defaults wrong: %s", s)
			}
		}},
		{name: "render timeout", env: base(map[string]string{"RENDER_TIMEOUT": "2s"}), check: func(t *testing.T, s config.Server) {
			if s.RenderTimeout != 2*time.Second {
				t.Fatalf("RenderTimeout = %s, want 2s", s.RenderTimeout)
			}
		}},
		{name: "render timeout not a duration", env: base(map[string]string{"RENDER_TIMEOUT": "forever"}), wantErr: `RENDER_TIMEOUT must be a duration from 1ms to 1h such as 5s, got "forever"`},
		{name: "render timeout zero", env: base(map[string]string{"RENDER_TIMEOUT": "0s"}), wantErr: "RENDER_TIMEOUT must be a duration"},
		{name: "everything set", env: base(map[string]string{"PORT": "8080", "HOST": "127.0.0.1", "WEBHOOK_PATH": "/hooks",
			"GITHUB_API_URL": "https://ghe.example.com/api/v3/", "DATABASE_URL": "postgres://u:pw@db/gp", "TEMPLATES_REPO": "paths", "LOG_LEVEL": "DEBUG"}),
			check: func(t *testing.T, s config.Server) {
				if s.Addr() != "127.0.0.1:8080" || s.WebhookPath != "/hooks" || s.GitHubAPIURL != "https://ghe.example.com/api/v3" ||
					s.TemplatesRepo != "paths" || s.LogLevel != slog.LevelDebug || s.DatabaseURL != "postgres://u:pw@db/gp" {
					t.Fatalf("values wrong: %s", s)
				}
			}},
		{name: "escaped newlines as Probot accepts", env: base(map[string]string{"PRIVATE_KEY": strings.ReplaceAll(pkcs1, "\n", `\n`)})},
		{name: "base64 key", env: base(map[string]string{"PRIVATE_KEY": base64.StdEncoding.EncodeToString([]byte(pkcs1))})},
		{name: "PKCS#8 key converted for ghinstallation", env: base(map[string]string{"PRIVATE_KEY": pkcs8}), check: func(t *testing.T, s config.Server) {
			if !strings.Contains(string(s.PrivateKeyPEM), "BEGIN RSA PRIVATE KEY") {
				t.Fatalf("PEM not PKCS#1: %.40s", s.PrivateKeyPEM)
			}
		}},
		{name: "key from file", env: base(map[string]string{"PRIVATE_KEY": "<unset>", "PRIVATE_KEY_PATH": keyFile})},
		{name: "missing secret", env: base(map[string]string{"WEBHOOK_SECRET": "<unset>"}), wantErr: "WEBHOOK_SECRET is not set"},
		{name: "missing app id", env: base(map[string]string{"APP_ID": "<unset>"}), wantErr: "APP_ID is not set"},
		{name: "bad app id", env: base(map[string]string{"APP_ID": "abc"}), wantErr: "APP_ID must be a positive number"},
		{name: "missing key", env: base(map[string]string{"PRIVATE_KEY": "<unset>"}), wantErr: "neither PRIVATE_KEY nor PRIVATE_KEY_PATH"},
		{name: "garbage key", env: base(map[string]string{"PRIVATE_KEY": "not-a-key-" + secret}), wantErr: "PRIVATE_KEY does not hold a PEM"},
		{name: "corrupt PEM", env: base(map[string]string{"PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}), wantErr: "not a valid RSA private key"},
		{name: "unreadable key file", env: base(map[string]string{"PRIVATE_KEY": "<unset>", "PRIVATE_KEY_PATH": "/nonexistent.pem"}), wantErr: "PRIVATE_KEY_PATH names a file"},
		{name: "bad port", env: base(map[string]string{"PORT": "70000"}), wantErr: "PORT must be"},
		{name: "bad path", env: base(map[string]string{"WEBHOOK_PATH": "hooks"}), wantErr: "WEBHOOK_PATH must start with /"},
		{name: "bad api url", env: base(map[string]string{"GITHUB_API_URL": "api.github.com"}), wantErr: "GITHUB_API_URL must be"},
		{name: "bad database", env: base(map[string]string{"DATABASE_URL": "mysql://x"}), wantErr: "DATABASE_URL must start"},
		{name: "bad level", env: base(map[string]string{"LOG_LEVEL": "loud"}), wantErr: "LOG_LEVEL must be"},
		{name: "bad templates repo", env: base(map[string]string{"TEMPLATES_REPO": "acme/golden-paths"}), wantErr: "TEMPLATES_REPO must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := config.FromEnv(env(tc.env))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error echoes a secret: %v", err)
				}
				return
			}
			if tc.check != nil {
				tc.check(t, s)
			}
			for _, out := range []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), fmt.Sprintf("%#v", &s), slog.AnyValue(s).Resolve().String()} {
				if strings.Contains(out, secret) || strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, ":pw@") {
					t.Fatalf("printed config leaks a secret: %s", out)
				}
			}
		})
	}
}

func TestEnvironReadsDotEnvUnderRealEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	content := "# Probot-style .env\nAPP_ID=42\nWEBHOOK_SECRET=\"quoted # not a comment\"\nexport PORT=4000\nPRIVATE_KEY=\"-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----\"\nLOG_LEVEL='debug'\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", "5000") // the real environment wins
	getenv, err := config.Environ(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"APP_ID": "42", "WEBHOOK_SECRET": "quoted # not a comment", "PORT": "5000", "LOG_LEVEL": "debug",
		"PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
	} {
		if got := getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := config.Environ(filepath.Join(dir, "absent.env")); err != nil {
		t.Fatalf("a missing .env is fine, got %v", err)
	}
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("A=\"unterminated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Environ(bad); err == nil {
		t.Fatal("a malformed .env was accepted")
	}
}
