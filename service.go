package authing

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Service serves the Bazis sign-in API. It is an http.Handler for the paths
// under Config.Prefix and for Config.OpenAPITokenURL; mount it for both:
//
//	mux.Handle("/api/v1/authing/", svc)
//	mux.Handle("/api/openapi-token/", svc)
//
// (or mount it at "/" to let it answer 404 envelopes for everything else).
type Service struct {
	cfg     Config
	keys    *Keys
	store   Store
	users   Users
	methods []Method
	log     *slog.Logger

	mux    *http.ServeMux
	routes map[string][]string // full path → methods
	cors   map[string]bool

	userCache *userCache // active users of session refreshes; nil when off
}

// New builds a Service. store and users are required; methods are offered by
// GET /auth/ in the order given. Two methods with the same code are refused.
func New(cfg Config, store Store, users Users, methods ...Method) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("authing: invalid configuration: %w", err)
	}
	if store == nil || users == nil {
		return nil, errors.New("authing: New needs a Store and a Users database")
	}
	cfg = cfg.withDefaults()
	keys, err := NewKeys(cfg.SessionAlgorithm, cfg.SecretKey, cfg.SecretKeyFallbacks...)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, keys: keys, store: store, users: users, log: cfg.Logger,
		mux: http.NewServeMux(), routes: map[string][]string{}, cors: map[string]bool{},
		userCache: newUserCache(cfg.UserCacheTTL, cfg.UserCacheSize, cfg.Now),
	}
	for _, o := range cfg.TrustedOrigins {
		s.cors[strings.TrimRight(o, "/")] = true
	}
	s.Handle("GET /auth/", s.handleAuth)
	s.Handle("POST /logout/", s.handleLogout)
	seen := map[string]bool{}
	for _, m := range methods {
		if seen[m.Code()] {
			return nil, fmt.Errorf("authing: two methods with code %q", m.Code())
		}
		seen[m.Code()] = true
		if err := m.Register(s); err != nil {
			return nil, fmt.Errorf("authing: method %q: %w", m.Code(), err)
		}
		s.methods = append(s.methods, m)
	}
	s.serveOpenAPI()
	for path, ms := range s.routes {
		allow := strings.Join(allowList(ms), ", ")
		s.mux.HandleFunc(path+"{$}", func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, HTTPError(http.StatusMethodNotAllowed, "", "Method Not Allowed", "Allow", allow))
		})
	}
	s.mux.HandleFunc("/", s.notFound)
	return s, nil
}

func allowList(ms []string) []string {
	out := slices.Clone(ms)
	if slices.Contains(out, http.MethodGet) && !slices.Contains(out, http.MethodHead) {
		out = append(out, http.MethodHead)
	}
	slices.Sort(out)
	return out
}

// Handle registers a handler for "METHOD /path/" relative to the prefix. Paths
// end with a slash, as all Bazis paths do.
func (s *Service) Handle(pattern string, h HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		panic("authing: Handle pattern needs a method: " + pattern)
	}
	s.HandleAbsolute(method, s.cfg.Prefix+path, h)
}

// HandleAbsolute registers a handler for an absolute path outside the prefix
// (the bazis-users token URL is one).
func (s *Service) HandleAbsolute(method, path string, h HandlerFunc) {
	if !strings.HasSuffix(path, "/") {
		panic("authing: route paths end with a slash: " + path)
	}
	s.routes[path] = append(s.routes[path], method)
	s.mux.HandleFunc(method+" "+path+"{$}", func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Service) notFound(w http.ResponseWriter, r *http.Request) {
	// Starlette redirects a path without its trailing slash to the route.
	if !strings.HasSuffix(r.URL.Path, "/") {
		if _, ok := s.routes[r.URL.Path+"/"]; ok {
			u := *r.URL
			u.Path += "/"
			u.RawPath = ""
			http.Redirect(w, r, u.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
	}
	s.writeError(w, r, HTTPError(http.StatusNotFound, "", "Not Found"))
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store") // every answer may carry a token (even a 307's Location)
	if origin := r.Header.Get("Origin"); origin != "" && s.cors[origin] {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
			if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
				h.Set("Access-Control-Allow-Headers", rh)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	s.mux.ServeHTTP(w, r)
}

// Config returns the configuration in effect (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// Keys returns the token keys.
func (s *Service) Keys() *Keys { return s.keys }

// Users returns the user database.
func (s *Service) Users() Users { return s.users }

// Store returns the store.
func (s *Service) Store() Store { return s.store }

// Path returns the absolute path of a route relative to the prefix, e.g.
// Path("/auth/") = "/api/v1/authing/auth/".
func (s *Service) Path(rel string) string { return s.cfg.Prefix + rel }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// Logger returns the service logger.
func (s *Service) Logger() *slog.Logger { return s.log }

// IssueSession returns a new session token for u.
func (s *Service) IssueSession(u User, authType string) string {
	return s.keys.SessionToken(u.Username, s.cfg.Now(), s.cfg.SessionLifetime, authType)
}

// WriteJSON writes v as a compact JSON answer with the given status. Answers
// of the sign-in API carry tokens, so they are never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeJSONBody(w, status, b)
}

// writeJSONBody writes an encoded JSON answer, as WriteJSON.
func writeJSONBody(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b) // an error means the client went away; nothing to render
	return nil
}
