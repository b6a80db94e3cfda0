package githubsim

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

const docsURL = "https://docs.github.com/rest"

// call is one request being served.
type call struct {
	s       *Sim
	w       *recorder
	r       *http.Request
	pattern string // "METHOD /path/{pattern}"
	inst    *installation
	token   *token
	actor   *account // the App's bot user for token calls
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}

type route struct {
	pattern string // "METHOD /chi/{pattern}/*"
	gh      string // GitHub's template for the path, when it differs from pattern
	auth    string // jwt, token, none
	h       func(*call)
}

// name is "METHOD /path/{template}" as GitHub's API description writes it.
func (rt route) name() string {
	if rt.gh != "" {
		m, _, _ := strings.Cut(rt.pattern, " ")
		return m + " " + rt.gh
	}
	return rt.pattern
}

// Routes lists the routes the simulator serves, as Counts names them.
func (s *Sim) Routes() []string {
	var out []string
	for _, rt := range s.routeTable() {
		out = append(out, rt.name())
	}
	return out
}

// Handler serves the REST API with and without the GHES /api/v3 prefix.
func (s *Sim) Handler() http.Handler { return s }

func (s *Sim) router() http.Handler {
	s.muxOnce.Do(func() {
		m := chi.NewRouter()
		for _, rt := range s.routeTable() {
			rt := rt
			method, path, _ := strings.Cut(rt.pattern, " ")
			m.MethodFunc(method, path, func(w http.ResponseWriter, r *http.Request) { s.serve(rt, w, r) })
		}
		unknown := func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.unknown = append(s.unknown, r.Method+" "+r.URL.Path)
			s.mu.Unlock()
			writeError(w, http.StatusNotFound, "Not Found", nil)
		}
		m.NotFound(unknown)
		m.MethodNotAllowed(unknown)
		s.routeMux = m
	})
	return s.routeMux
}

// ServeHTTP implements http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if page := s.webPage(r); page != nil { // github.com's pages, not the API
		page(w, r)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	prefix := ""
	if r.URL.Path == "/api/graphql" { // GHES serves GraphQL beside /api/v3
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = "/graphql", ""
	}
	if strings.HasPrefix(r.URL.Path, "/api/v3/") || r.URL.Path == "/api/v3" {
		prefix = "/api/v3"
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
		r2.URL.RawPath = ""
		if r2.URL.Path == "" {
			r2.URL.Path = "/"
		}
		r = r2
	}
	if r.Host != "" && !strings.HasPrefix(r.URL.Path, "/_") {
		s.mu.Lock()
		s.base = scheme + "://" + r.Host + prefix
		s.mu.Unlock()
	}
	s.router().ServeHTTP(w, r)
}

func (s *Sim) serve(rt route, w http.ResponseWriter, r *http.Request) {
	pattern := rt.name()
	w.Header().Set("X-GitHub-Request-Id", requestID())
	w.Header().Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	s.mu.Lock()
	c := &call{s: s, w: &recorder{header: http.Header{}}, r: r, pattern: pattern}
	if rt.auth != "none" {
		// The archive download is served by another host on GitHub
		// (codeload), not the API: it is not counted.
		s.counts[pattern]++
	}
	if !s.authenticate(rt, c, w, r) {
		return
	}
	var instID int64
	if c.inst != nil {
		instID = c.inst.id
	}
	if s.refuseOverLimit(c, instID, w, r) {
		return
	}
	if c.inst != nil {
		s.inflight[instID]++
	}
	fault := s.pickFault(r.Method, pattern)
	s.mu.Unlock()
	defer func() {
		if c.inst != nil {
			s.mu.Lock()
			s.inflight[instID]--
			s.mu.Unlock()
		}
	}()

	if s.injectFault(fault, instID, w, r) {
		return
	}
	notModified := s.handle(rt, c, instID, r)
	if fault != nil && fault.Kind == AfterWrite502 {
		writeError(w, http.StatusBadGateway, "Server Error", nil)
		return
	}
	flush(c, w, notModified)
}

// authenticate checks the request's credentials for rt and, for an
// installation token, its permissions, filling in c's installation, token and
// actor. It is called with s.mu held; when it refuses the request (false) it
// has written the error and released s.mu.
func (s *Sim) authenticate(rt route, c *call, w http.ResponseWriter, r *http.Request) bool {
	switch rt.auth {
	case "jwt":
		if msg := s.verifyJWT(r.Header.Get("Authorization")); msg != "" {
			s.mu.Unlock()
			writeError(w, http.StatusUnauthorized, msg, nil)
			return false
		}
	case "token":
		tok, msg := s.verifyToken(r.Header.Get("Authorization"))
		if msg != "" {
			s.mu.Unlock()
			writeError(w, http.StatusUnauthorized, msg, nil)
			return false
		}
		c.inst = tok.inst
		c.token = tok
		c.actor = s.accounts[strings.ToLower(s.BotLogin())]
		s.countsByInst[tok.inst.id]++
		_, route, _ := strings.Cut(c.pattern, " ")
		if perm, level := requiredPermission(r.Method, route); !allows(s.perms, perm, level) {
			s.mu.Unlock()
			writeError(w, http.StatusForbidden, "Resource not accessible by integration", nil)
			return false
		}
	}
	return true
}

// refuseOverLimit applies the primary and secondary limits (tokens only; the
// App's JWT bucket is not what the bot exhausts). It is called with s.mu
// held; when it refuses the request (true) it has written the error and
// released s.mu.
func (s *Sim) refuseOverLimit(c *call, instID int64, w http.ResponseWriter, r *http.Request) bool {
	if c.inst == nil || s.limits.Disabled {
		return false
	}
	status, msg, retry := s.checkLimits(instID, r.Method, r.URL.Path)
	if status == 0 {
		return false
	}
	hdr := w.Header()
	s.rateHeaders(hdr, instID)
	if retry > 0 {
		hdr.Set("Retry-After", strconv.Itoa(retry))
	}
	s.mu.Unlock()
	doc := secondaryDocs
	if retry == 0 {
		doc = primaryDocs
	}
	writeErrorDoc(w, status, msg, doc)
	return true
}

// injectFault plays the faults that act before the handler runs: a delay
// (Slow) and a 5xx instead of the handler (Error5xx). It reports whether the
// request is over (answered, or abandoned by the client). Called without s.mu.
func (s *Sim) injectFault(fault *Fault, instID int64, w http.ResponseWriter, r *http.Request) bool {
	if fault != nil && (fault.Kind == Slow) {
		d := fault.Delay
		if d == 0 {
			d = 2 * time.Second
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return true
		}
	}
	if fault != nil && fault.Kind == Error5xx {
		status := fault.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		s.mu.Lock()
		s.rateHeaders(w.Header(), instID)
		s.mu.Unlock()
		writeError(w, status, http.StatusText(status), nil)
		return true
	}
	return false
}

// handle runs rt's handler into c's recorder under s.mu, then adds the ETag,
// spends the primary limit (not for a 304), records content creation and sets
// the rate headers. It reports whether the answer is 304 Not Modified.
func (s *Sim) handle(rt route, c *call, instID int64, r *http.Request) bool {
	s.mu.Lock()
	rt.h(c)
	if c.w.status == 0 {
		c.w.status = http.StatusOK
	}
	notModified := false
	if r.Method == http.MethodGet && c.w.status == http.StatusOK && c.w.header.Get("Location") == "" {
		sum := sha256.Sum256(c.w.body.Bytes())
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		c.w.header.Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
			notModified = true
		}
	}
	if c.inst != nil && !notModified {
		s.usePrimary(instID)
	}
	if c.inst != nil && isContentMethod(r.Method) && c.w.status < 400 {
		s.content[instID] = append(s.content[instID], s.now())
	}
	if c.inst != nil {
		s.rateHeaders(c.w.header, instID)
	}
	s.mu.Unlock()
	return notModified
}

// flush copies the recorded answer to w, as a bodiless 304 when notModified.
func flush(c *call, w http.ResponseWriter, notModified bool) {
	for k, v := range c.w.header {
		w.Header()[k] = v
	}
	if notModified {
		w.Header().Del("Content-Type")
		w.Header().Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(c.w.status)
	_, _ = w.Write(c.w.body.Bytes())
}

func etagMatch(header, etag string) bool {
	norm := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, part := range strings.Split(header, ",") {
		if norm(part) == norm(etag) || strings.TrimSpace(part) == "*" {
			return true
		}
	}
	return false
}

func isContentMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPatch || m == http.MethodPut || m == http.MethodDelete
}

func writeErrorDoc(w http.ResponseWriter, status int, msg, doc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
}

func writeError(w http.ResponseWriter, status int, msg string, errs []map[string]any) {
	body := map[string]any{"message": msg, "documentation_url": docsURL, "status": strconv.Itoa(status)}
	if errs != nil {
		body["errors"] = errs
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// --- helpers used by route handlers -------------------------------------

func (c *call) json(status int, v any) {
	c.w.header.Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(&c.w.body).Encode(v)
}

func (c *call) fail(status int, msg string) { writeError(c.w, status, msg, nil) }

func (c *call) notFound() { c.fail(http.StatusNotFound, "Not Found") }

// invalid answers 422 "Validation Failed" with one error.
func (c *call) invalid(resource, field, code, msg string) {
	e := map[string]any{"resource": resource, "field": field, "code": code}
	if msg != "" {
		e["message"] = msg
	}
	writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", []map[string]any{e})
}

// decode reads a JSON body; on error it answers 400 as GitHub does.
func (c *call) decode(v any) bool {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 100<<20))
	if err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// path returns a path parameter; "*" is the trailing wildcard.
func (c *call) path(name string) string { return chi.URLParam(c.r, name) }

// paginate answers a list with per_page/page and a Link header.
func paginate[T any](c *call, items []T) {
	perPage := 30
	if v, err := strconv.Atoi(c.r.URL.Query().Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(c.r.URL.Query().Get("page")); err == nil && v > 0 {
		page = v
	}
	last := int(math.Max(1, math.Ceil(float64(len(items))/float64(perPage))))
	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	link := func(p int, rel string) string {
		u := *c.r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(p))
		if q.Get("per_page") != "" {
			q.Set("per_page", strconv.Itoa(perPage))
		}
		u.RawQuery = q.Encode()
		return fmt.Sprintf("<%s%s>; rel=%q", c.s.base, u.RequestURI(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		c.w.header.Set("Link", strings.Join(links, ", "))
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	c.json(http.StatusOK, out)
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b[:2]) + ":" + hex.EncodeToString(b[2:5]) + ":" + hex.EncodeToString(b[5:]))
}
