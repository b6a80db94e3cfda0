package githubsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// GitHub's JWT rules: RS256, iss = the App id, iat at most 60 s in the
// future (clock drift), exp in the future and at most 10 minutes after now
// (and after iat, with the same 60 s allowance).
const jwtSkew = 60 * time.Second

func (s *Sim) verifyJWT(authz string) string {
	raw, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok {
		if authz == "" {
			return "A JSON web token could not be decoded"
		}
		return "A JSON web token could not be decoded"
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "A JSON web token could not be decoded"
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return "A JSON web token could not be decoded"
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *float64        `json:"iat"`
		Exp *float64        `json:"exp"`
	}
	if json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &claims) != nil {
		return "A JSON web token could not be decoded"
	}
	if hdr.Alg != "RS256" {
		return "A JSON web token could not be decoded"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return "A JSON web token could not be decoded"
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(s.appID, 10) {
		return "Integration not found"
	}
	if claims.Iat == nil || claims.Exp == nil {
		return "Missing 'issued at' or 'expiration time' claim"
	}
	now := s.now()
	iat := time.Unix(int64(*claims.Iat), 0)
	exp := time.Unix(int64(*claims.Exp), 0)
	if iat.After(now.Add(jwtSkew)) {
		return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	}
	if !exp.After(now) {
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	}
	if exp.After(now.Add(10*time.Minute+jwtSkew)) || exp.Sub(iat) > 10*time.Minute+jwtSkew {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

func (s *Sim) verifyToken(authz string) (*token, string) {
	raw := ""
	for _, p := range []string{"token ", "Bearer ", "bearer ", "Token "} {
		if v, ok := strings.CutPrefix(authz, p); ok {
			raw = v
		}
	}
	if raw == "" {
		return nil, "Requires authentication"
	}
	t := s.tokens[raw]
	if t == nil || !s.now().Before(t.expiresAt) {
		return nil, "Bad credentials"
	}
	return t, ""
}

func (s *Sim) newToken(in *installation) *token {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	t := &token{value: "ghs_" + hex.EncodeToString(b)[:36], inst: in, expiresAt: s.now().Add(s.opts.TokenTTL).UTC().Truncate(time.Second)}
	s.tokens[t.value] = t
	return t
}

// ExpireTokens ends every installation token issued so far, as if each had
// reached its expiry (or the installation's permissions changed): requests
// still carrying one get 401 "Bad credentials" until the App asks for a new
// token. It returns how many tokens it ended.
func (s *Sim) ExpireTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, t := range s.tokens {
		if now.Before(t.expiresAt) {
			t.expiresAt = now
			n++
		}
	}
	return n
}

// InstallationToken mints an installation token directly (for tests that do
// not go through the App JWT flow).
func (s *Sim) InstallationToken(installationID int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.installs[installationID]
	if in == nil {
		return "", fmt.Errorf("no installation %d", installationID)
	}
	return s.newToken(in).value, nil
}

// --- rate limits ----------------------------------------------------------

type primaryBucket struct {
	start time.Time
	used  int
}

func (s *Sim) bucket(inst int64) *primaryBucket {
	b := s.primary[inst]
	now := s.now()
	if b == nil || now.Sub(b.start) >= s.limits.HourWindow {
		b = &primaryBucket{start: now}
		s.primary[inst] = b
	}
	return b
}

func (s *Sim) usePrimary(inst int64) { s.bucket(inst).used++ }

func (s *Sim) rateHeaders(h http.Header, inst int64) {
	b := s.bucket(inst)
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limits.PrimaryPerHour))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, s.limits.PrimaryPerHour-b.used)))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.start.Add(s.limits.HourWindow).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

const secondaryDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

const primaryDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"

const secondaryMsg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID."

// checkLimits answers the status, message and retry-after seconds of a
// request that breaks a limit, or 0.
func (s *Sim) checkLimits(inst int64, method, path string) (int, string, int) {
	now := s.now()
	violate := func(kind string) {
		s.violations = append(s.violations, Violation{At: now, Installation: inst, Kind: kind, Method: method, Path: path})
	}
	b := s.bucket(inst)
	if b.used >= s.limits.PrimaryPerHour {
		violate("primary")
		return http.StatusForbidden, fmt.Sprintf("API rate limit exceeded for installation ID %d.", inst), 0
	}
	if s.inflight[inst] >= s.limits.Concurrent {
		violate("concurrent")
		return http.StatusForbidden, secondaryMsg, 60
	}
	if !isContentMethod(method) {
		return 0, "", 0
	}
	ts := s.content[inst]
	// Forget what is older than the hour window.
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= s.limits.HourWindow {
		i++
	}
	ts = ts[i:]
	s.content[inst] = ts
	inWindow := func(w time.Duration) (int, time.Time) {
		n := 0
		var oldest time.Time
		for _, t := range ts {
			if now.Sub(t) < w {
				if n == 0 {
					oldest = t
				}
				n++
			}
		}
		return n, oldest
	}
	retry := func(oldest time.Time, w time.Duration) int {
		return max(1, int(math.Ceil(oldest.Add(w).Sub(now).Seconds())))
	}
	if n, oldest := inWindow(s.limits.MinuteWindow); n >= s.limits.ContentPerMinute {
		violate("secondary-minute")
		return http.StatusForbidden, secondaryMsg, retry(oldest, s.limits.MinuteWindow)
	}
	if n, oldest := inWindow(s.limits.HourWindow); n >= s.limits.ContentPerHour {
		violate("secondary-hour")
		return http.StatusForbidden, secondaryMsg, retry(oldest, s.limits.HourWindow)
	}
	return 0, "", 0
}

// --- faults -------------------------------------------------------------

// FaultKind is what a fault does to a request.
type FaultKind int

const (
	// Error5xx answers Status (default 502) without doing anything.
	Error5xx FaultKind = iota + 1
	// Slow delays the request by Delay (default 2 s) then serves it.
	Slow
	// AfterWrite502 serves the request (its write takes effect, webhooks
	// fire) and then answers 502 instead of the real response.
	AfterWrite502
)

// Fault injects failures into matching requests.
type Fault struct {
	Method  string // "" matches every method
	Pattern string // route pattern without method, e.g. "/orgs/{org}/repos"; "" matches all
	Rate    float64
	Nth     int // fire on the Nth matching call only (1-based); overrides Rate
	Kind    FaultKind
	Status  int
	Delay   time.Duration
}

type faultState struct {
	Fault
	seen, fired int
}

// FaultsFired returns how often each fault of the current list fired, in
// the list's order.
func (s *Sim) FaultsFired() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, len(s.faults))
	for i, f := range s.faults {
		out[i] = f.fired
	}
	return out
}

// SetFaults replaces the fault list (nil clears it). Random faults draw from
// the seeded generator, so a run is reproducible for a given request order.
func (s *Sim) SetFaults(fs []Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	for _, f := range fs {
		s.faults = append(s.faults, faultState{Fault: f})
	}
}

func (s *Sim) pickFault(method, pattern string) *Fault {
	m, p, _ := strings.Cut(pattern, " ")
	for i := range s.faults {
		f := &s.faults[i]
		if f.Method != "" && !strings.EqualFold(f.Method, m) {
			continue
		}
		if f.Pattern != "" && f.Pattern != p {
			continue
		}
		f.seen++
		if f.Nth > 0 {
			if f.seen == f.Nth {
				f.fired++
				out := f.Fault
				return &out
			}
			continue
		}
		if f.Rate > 0 && s.rng.Float64() < f.Rate {
			f.fired++
			out := f.Fault
			return &out
		}
	}
	_ = method
	return nil
}
