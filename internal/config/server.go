// Package config reads goldenpath's two kinds of configuration: the server's
// settings from the environment (with Probot's variable names, so a Probot
// app's deployment carries over) and an organisation's policy from
// goldenpath.yaml in its templates repository.
package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Server is the configuration of `goldenpath serve` (SPEC §2).
type Server struct {
	AppID         int64
	PrivateKey    *rsa.PrivateKey
	PrivateKeyPEM []byte // the key as PEM, for ghinstallation
	WebhookSecret string
	Host          string
	Port          int
	WebhookPath   string
	GitHubAPIURL  string
	DatabaseURL   string
	TemplatesRepo string
	LogLevel      slog.Level
	// RenderTimeout bounds one render of a template (RENDER_TIMEOUT; zero:
	// the renderer's default, 5 s).
	RenderTimeout time.Duration
}

// Defaults of SPEC §2.
const (
	DefaultPort          = 3000
	DefaultWebhookPath   = "/api/github/webhooks"
	DefaultGitHubAPIURL  = "https://api.github.com"
	DefaultDatabaseURL   = "sqlite://goldenpath.db"
	DefaultTemplatesRepo = "golden-paths"
)

// FromEnv reads the server configuration through getenv (os.Getenv, or
// Environ's result to include a .env file). Each problem is one sentence
// naming the variable; secret values never appear in errors.
func FromEnv(getenv func(string) string) (Server, error) {
	s := Server{
		Host:          getenv("HOST"),
		Port:          DefaultPort,
		WebhookPath:   orDefault(getenv("WEBHOOK_PATH"), DefaultWebhookPath),
		GitHubAPIURL:  strings.TrimRight(orDefault(getenv("GITHUB_API_URL"), DefaultGitHubAPIURL), "/"),
		DatabaseURL:   orDefault(getenv("DATABASE_URL"), DefaultDatabaseURL),
		TemplatesRepo: orDefault(getenv("TEMPLATES_REPO"), DefaultTemplatesRepo),
		WebhookSecret: getenv("WEBHOOK_SECRET"),
	}
	var errs []error
	switch id := strings.TrimSpace(getenv("APP_ID")); {
	case id == "":
		errs = append(errs, errors.New("APP_ID is not set; it is the GitHub App's numeric id from its settings page"))
	default:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("APP_ID must be a positive number, got %q", id))
		}
		s.AppID = n
	}
	if s.WebhookSecret == "" {
		errs = append(errs, errors.New("WEBHOOK_SECRET is not set; goldenpath refuses to accept unsigned webhooks"))
	}
	if key, pemBytes, err := privateKey(getenv); err != nil {
		errs = append(errs, err)
	} else {
		s.PrivateKey, s.PrivateKeyPEM = key, pemBytes
	}
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("PORT must be a number from 1 to 65535, got %q", p))
		}
		s.Port = n
	}
	if !strings.HasPrefix(s.WebhookPath, "/") {
		errs = append(errs, fmt.Errorf("WEBHOOK_PATH must start with /, got %q", s.WebhookPath))
	}
	if u, err := url.Parse(s.GitHubAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("GITHUB_API_URL must be an http(s) URL such as https://api.github.com, got %q", s.GitHubAPIURL))
	}
	if !strings.HasPrefix(s.DatabaseURL, "sqlite://") && !strings.HasPrefix(s.DatabaseURL, "postgres://") && !strings.HasPrefix(s.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("DATABASE_URL must start with sqlite:// or postgres://"))
	}
	if strings.ContainsAny(s.TemplatesRepo, "/ ") {
		errs = append(errs, fmt.Errorf("TEMPLATES_REPO must be a repository name without owner, got %q", s.TemplatesRepo))
	}
	lvl, err := parseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		errs = append(errs, err)
	}
	s.LogLevel = lvl
	if v := getenv("RENDER_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > time.Hour {
			errs = append(errs, fmt.Errorf("RENDER_TIMEOUT must be a duration from 1ms to 1h such as 5s, got %q", v))
		}
		s.RenderTimeout = d
	}
	return s, errors.Join(errs...)
}

// Addr is the listen address, HOST:PORT (all interfaces when HOST is empty).
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// String prints the configuration without its secrets.
func (s Server) String() string {
	return fmt.Sprintf("app_id=%d addr=%s webhook_path=%s github_api_url=%s database=%s templates_repo=%s log_level=%s webhook_secret=%s private_key=%s",
		s.AppID, s.Addr(), s.WebhookPath, s.GitHubAPIURL, redactURL(s.DatabaseURL), s.TemplatesRepo, s.LogLevel, mask(s.WebhookSecret != ""), mask(s.PrivateKey != nil))
}

// GoString keeps %#v, which would print every field, from showing the
// secrets too.
func (s Server) GoString() string { return "config.Server{" + s.String() + "}" }

// LogValue logs the configuration without its secrets.
func (s Server) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("app_id", s.AppID),
		slog.String("addr", s.Addr()),
		slog.String("webhook_path", s.WebhookPath),
		slog.String("github_api_url", s.GitHubAPIURL),
		slog.String("database", redactURL(s.DatabaseURL)),
		slog.String("templates_repo", s.TemplatesRepo),
		slog.String("log_level", s.LogLevel.String()),
		slog.String("webhook_secret", mask(s.WebhookSecret != "")),
		slog.String("private_key", mask(s.PrivateKey != nil)),
	)
}

func mask(set bool) string {
	if set {
		return "[set]"
	}
	return "[unset]"
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable]"
	}
	return u.Redacted()
}

// privateKey finds the App's key the way Probot does: PRIVATE_KEY inline
// (with literal \n escapes, as one-line environments force, or base64
// encoded), else PRIVATE_KEY_PATH.
func privateKey(getenv func(string) string) (*rsa.PrivateKey, []byte, error) {
	inline, path := getenv("PRIVATE_KEY"), getenv("PRIVATE_KEY_PATH")
	var data []byte
	var name string
	switch {
	case inline != "":
		name = "PRIVATE_KEY"
		data = []byte(strings.ReplaceAll(inline, `\n`, "\n"))
		if !strings.Contains(inline, "-----BEGIN") {
			if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(inline)); err == nil {
				data = dec
			}
		}
	case path != "":
		name = "PRIVATE_KEY_PATH"
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("PRIVATE_KEY_PATH names a file that cannot be read (%s): %w", path, errors.Unwrap(err))
		}
		data = b
	default:
		return nil, nil, errors.New("neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set; one must hold the GitHub App's PEM private key")
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, nil, fmt.Errorf("%s does not hold a PEM-encoded private key", name)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, pem.EncodeToMemory(block), nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			// ghinstallation wants PKCS#1.
			return rk, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), nil
		}
		return nil, nil, fmt.Errorf("%s holds a private key that is not RSA; GitHub App keys are RSA", name)
	}
	return nil, nil, fmt.Errorf("%s holds a PEM block that is not a valid RSA private key", name)
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug", "trace": // Probot's pino also knows trace
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", s)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Environ returns a getenv that reads the process environment and, for
// variables it does not set, the .env file at path (as Probot does: the real
// environment wins). A missing file is fine; a malformed one is an error.
func Environ(path string) (func(string) string, error) {
	file := map[string]string{}
	if _, err := os.Stat(path); err == nil {
		file, err = godotenv.Read(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return func(key string) string {
		if v, ok := os.LookupEnv(key); ok {
			return v
		}
		return file[key]
	}, nil
}
