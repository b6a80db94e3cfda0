package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/request"
)

// These tests run `goldenpath serve` as a real process: the test binary
// re-executes itself with childEnv set and then runs main, so exit codes,
// stderr, the .env file and SIGTERM are exercised exactly as a deployment
// sees them, without paying for a separate `go build`.
const childEnv = "GOLDENPATH_SERVE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if p := os.Getenv(childPolicyEnv); p != "" {
			scaleServe(p)
		}
		main() // os.Args[1:] is the subcommand line; main exits
		return
	}
	code := m.Run()
	if err := writeReport(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// webhookSecret is the shared secret of every test; it must never appear in
// the process's output.
const webhookSecret = "wh-s3cret-never-logged-7f3a9c"

// simServer is a simulator served on loopback, with a record of the
// requests it received (method and path, prefix included).
type simServer struct {
	*githubsim.Sim
	URL string // base URL without /api/v3

	mu       sync.Mutex
	requests []string
	onReq    func(method, path string)
}

func newSimServer(t *testing.T) *simServer {
	t.Helper()
	s := &simServer{Sim: githubsim.New(githubsim.Options{})}
	h := s.Sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		hook := s.onReq
		s.mu.Unlock()
		if hook != nil {
			hook(r.Method, r.URL.Path)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.SetWebhook("", "")
		srv.Close()
	})
	s.URL = srv.URL
	return s
}

func (s *simServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *simServer) sawRequest(prefix string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.requests, func(r string) bool { return strings.HasPrefix(r, prefix) })
}

// seedTemplatesRepo creates acme/golden-paths with one commit, so the
// installation job has somewhere to create its labels.
func (s *simServer) seedTemplatesRepo(t *testing.T) {
	t.Helper()
	if err := s.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Push("acme", "golden-paths", "main", map[string][]byte{"README.md": []byte("# Golden paths\n")}, "initial", "octocat"); err != nil {
		t.Fatal(err)
	}
}

// validEnv is a complete configuration against sim.
func validEnv(sim *simServer, dir string, port int) map[string]string {
	return map[string]string{
		"APP_ID":         strconv.FormatInt(sim.AppID(), 10),
		"PRIVATE_KEY":    string(sim.AppPrivateKeyPEM()),
		"WEBHOOK_SECRET": webhookSecret,
		"GITHUB_API_URL": sim.URL + "/api/v3",
		"DATABASE_URL":   "sqlite://" + filepath.Join(dir, "gp.db"),
		"HOST":           "127.0.0.1",
		"PORT":           strconv.Itoa(port),
	}
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type serveProc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	started        time.Time
}

// startServe runs `goldenpath serve` in dir with only env (plus PATH and
// HOME): nothing leaks in from the developer's environment.
func startServe(t *testing.T, dir string, env map[string]string) *serveProc {
	t.Helper()
	p := &serveProc{done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "serve")
	p.cmd.Dir = dir
	p.cmd.Env = []string{childEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting goldenpath serve: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("goldenpath serve stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// wait waits up to limit for the process to exit and returns its exit code
// and how long it ran since start.
func (p *serveProc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("goldenpath serve still running after %s", limit)
		return -1
	}
}

func (p *serveProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling goldenpath serve: %v", err)
	}
}

// waitReady polls GET /readyz until 200; it fails if the process exits.
func (p *serveProc) waitReady(t *testing.T, base string) {
	t.Helper()
	p.waitReadyWithin(t, base, 15*time.Second)
}

// waitReadyWithin is waitReady with a deadline of limit (a loaded machine
// or a PostgreSQL start may need more than 15 s).
func (p *serveProc) waitReadyWithin(t *testing.T, base string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-p.done:
			t.Fatalf("goldenpath serve exited with %d while starting:\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
		default:
		}
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("goldenpath serve not ready within %s (last: %v)", limit, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func newRSAKeyPEM(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// keyMaterial returns a fragment of a PEM key's body that would show if any
// part of the key were printed.
func keyMaterial(pemKey []byte) string {
	lines := strings.Split(strings.TrimSpace(string(pemKey)), "\n")
	return lines[2] // a line from the middle of the body
}

// assertNoSecrets fails if the webhook secret, an installation token, a
// private key or any of extra appears in out.
func assertNoSecrets(t *testing.T, what, out string, extra ...string) {
	t.Helper()
	for _, s := range append([]string{webhookSecret, "ghs_", "PRIVATE KEY-----"}, extra...) {
		if strings.Contains(out, s) {
			t.Errorf("%s contains secret material %q:\n%s", what, s, out)
		}
	}
}

func TestServeRefusesToStart(t *testing.T) {
	sim := newSimServer(t)
	unknownKey := newRSAKeyPEM(t)
	const notPEM = "not-a-key-but-still-secret-0d5e"
	tests := []struct {
		name string
		env  map[string]string // "" unsets a variable of the valid base
		want string            // in the one error sentence
	}{
		{"no webhook secret", map[string]string{"WEBHOOK_SECRET": ""}, "WEBHOOK_SECRET is not set"},
		{"no app id", map[string]string{"APP_ID": ""}, "APP_ID is not set"},
		{"private key not PEM", map[string]string{"PRIVATE_KEY": notPEM}, "PRIVATE_KEY does not hold a PEM-encoded private key"},
		{"private key path missing", map[string]string{"PRIVATE_KEY": "", "PRIVATE_KEY_PATH": "/nonexistent/goldenpath/app.pem"}, "PRIVATE_KEY_PATH names a file that cannot be read"},
		{"key GitHub does not know", map[string]string{"PRIVATE_KEY": string(unknownKey)}, "GET /app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := validEnv(sim, dir, freePort(t))
			for k, v := range tt.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			p := startServe(t, dir, env)
			code := p.wait(t, 10*time.Second)
			if code == 0 {
				t.Fatalf("exit code 0, want non-zero")
			}
			if took := time.Since(p.started); took > 5*time.Second {
				t.Errorf("took %s to refuse, want a few seconds at most", took)
			}
			stderr := p.stderr.String()
			// Every line is a JSON log record except exactly one: the error.
			var errLines []string
			for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					errLines = append(errLines, line)
				}
			}
			if len(errLines) != 1 || !strings.HasPrefix(errLines[0], "goldenpath serve: ") || !strings.Contains(errLines[0], tt.want) {
				t.Errorf("stderr error lines = %q, want one line \"goldenpath serve: …%s…\"", errLines, tt.want)
			}
			t.Logf("refused: %s", errLines)
			out := stderr + p.stdout.String()
			assertNoSecrets(t, "output", out, notPEM, keyMaterial(unknownKey), keyMaterial(sim.AppPrivateKeyPEM()))
		})
	}
}

func TestServeDotEnv(t *testing.T) {
	sim := newSimServer(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyPath, sim.AppPrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	filePort, envPort := freePort(t), freePort(t)
	var dotenv strings.Builder
	for k, v := range validEnv(sim, dir, filePort) {
		if k != "PRIVATE_KEY" {
			fmt.Fprintf(&dotenv, "%s=%s\n", k, v)
		}
	}
	fmt.Fprintf(&dotenv, "PRIVATE_KEY_PATH=%s\n", keyPath)
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	// Only PORT comes from the real environment; it wins over the file's.
	p := startServe(t, dir, map[string]string{"PORT": strconv.Itoa(envPort)})
	p.waitReady(t, fmt.Sprintf("http://127.0.0.1:%d", envPort))
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", filePort), time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on the .env file's PORT %d; the environment's PORT should win", filePort)
	}
	if !sim.sawRequest("GET /api/v3/app") {
		t.Errorf("the credentials from .env were not checked with GET /app; sim saw %q", sim.seen())
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	assertNoSecrets(t, "stderr", p.stderr.String(), keyMaterial(sim.AppPrivateKeyPEM()))
}

func TestServe(t *testing.T) {
	sim := newSimServer(t)
	sim.seedTemplatesRepo(t)
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := startServe(t, dir, validEnv(sim, dir, port))
	p.waitReady(t, base)

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path); code != http.StatusOK {
			t.Errorf("GET %s = %d %q, want 200", path, code, body)
		}
	}

	// An unsigned delivery is refused before anything is stored.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/github/webhooks", strings.NewReader(`{"action":"created"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "installation")
	req.Header.Set("X-GitHub-Delivery", "00000000-0000-0000-0000-000000000001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned delivery answered %d, want 401", resp.StatusCode)
	}

	// A signed installation.created: accepted, then worked — the request
	// labels appear in the templates repository.
	sim.SetWebhook(base+"/api/github/webhooks", webhookSecret)
	sim.Install("acme")
	sim.WaitDeliveries()
	var installed bool
	for _, d := range sim.Deliveries() {
		if d.Event == "installation" && d.Action == "created" {
			installed = true
			if d.StatusCode != http.StatusAccepted {
				t.Errorf("installation.created answered %d (%s), want 202", d.StatusCode, d.Error)
			}
		}
	}
	if !installed {
		t.Fatalf("the simulator sent no installation.created; deliveries: %+v", sim.Deliveries())
	}
	want := []string{request.LabelRequest, request.LabelNeedsChanges, request.LabelCreated}
	waitFor(t, 15*time.Second, "request labels in acme/golden-paths", func() bool {
		return containsAll(sim.Labels("acme", "golden-paths"), want)
	})
	if !sim.sawRequest("POST /api/v3/app/installations/") {
		t.Errorf("no installation token was requested; sim saw %q", sim.seen())
	}

	code, metrics := get("/metrics")
	for _, m := range []string{"goldenpath_webhook_enqueued_total", "goldenpath_github_requests_total", "goldenpath_jobs_total"} {
		if code != http.StatusOK || !strings.Contains(metrics, m) {
			t.Errorf("GET /metrics = %d without %s", code, m)
		}
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	stderr := p.stderr.String()
	assertJSONLines(t, stderr)
	assertNoSecrets(t, "stderr", stderr, keyMaterial(sim.AppPrivateKeyPEM()))
	if p.stdout.String() != "" {
		t.Errorf("stdout = %q, want nothing (logs go to stderr)", p.stdout.String())
	}
}

func TestServeSIGTERM(t *testing.T) {
	tests := []struct {
		name string
		// inFlight: SIGTERM arrives while the installation job's first label
		// write is held 2 s by the simulator.
		inFlight bool
		maxExit  time.Duration // from SIGTERM to exit
	}{
		{name: "idle exits promptly", maxExit: 3 * time.Second},
		{name: "drains the running job", inFlight: true, maxExit: 15 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSimServer(t)
			sim.seedTemplatesRepo(t)
			dir := t.TempDir()
			port := freePort(t)
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			p := startServe(t, dir, validEnv(sim, dir, port))
			p.waitReady(t, base)

			if tt.inFlight {
				const labels = "/api/v3/repos/acme/golden-paths/labels"
				sim.SetFaults([]githubsim.Fault{{Method: http.MethodPost, Pattern: "/repos/{owner}/{repo}/labels", Nth: 1, Kind: githubsim.Slow, Delay: 2 * time.Second}})
				writing := make(chan struct{})
				var once sync.Once
				sim.mu.Lock()
				sim.onReq = func(method, path string) {
					if method == http.MethodPost && path == labels {
						once.Do(func() { close(writing) })
					}
				}
				sim.mu.Unlock()
				sim.SetWebhook(base+"/api/github/webhooks", webhookSecret)
				sim.Install("acme")
				select {
				case <-writing:
				case <-time.After(15 * time.Second):
					t.Fatal("the installation job never wrote a label")
				}
				if got := sim.Labels("acme", "golden-paths"); slices.Contains(got, request.LabelRequest) {
					t.Fatalf("labels before SIGTERM = %q, want no %q yet (its write is held)", got, request.LabelRequest)
				}
			}

			sigAt := time.Now()
			p.signal(t, syscall.SIGTERM)
			code := p.wait(t, tt.maxExit+5*time.Second)
			if code != 0 {
				t.Errorf("exit code = %d, want 0", code)
			}
			if took := time.Since(sigAt); took > tt.maxExit {
				t.Errorf("exited %s after SIGTERM, want within %s", took, tt.maxExit)
			}
			if tt.inFlight {
				want := []string{request.LabelRequest, request.LabelNeedsChanges, request.LabelCreated}
				if got := sim.Labels("acme", "golden-paths"); !containsAll(got, want) {
					t.Errorf("labels after exit = %q, want %q: the running job was not finished", got, want)
				}
			}
			assertJSONLines(t, p.stderr.String())
		})
	}
}

// assertJSONLines checks every stderr line is a JSON log record.
func assertJSONLines(t *testing.T, stderr string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %q", sc.Text())
			continue
		}
		if _, ok := rec["level"]; !ok {
			t.Errorf("log record without level: %q", sc.Text())
		}
		n++
	}
	if n == 0 {
		t.Error("no log records on stderr")
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
