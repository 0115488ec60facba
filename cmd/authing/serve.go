package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/store/memstore"
	"authing.dev/authing/store/redisstore"
)

// Server timeouts: bounded so that slow clients cannot hold connections.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 20 * time.Second
	readyTimeout      = 2 * time.Second
)

func cmdServe(ctx context.Context, args []string, e env) error {
	cf := newFlagSet("serve", e)
	addr := cf.fs.String("addr", "", "listen address (BS_AUTHING_ADDR; default 127.0.0.1:8080)")
	prefix := cf.fs.String("prefix", "", "API path prefix (BS_AUTHING_PREFIX; default /api/v1/authing)")
	redisURL := cf.fs.String("redis", "", "Redis URL for stores (BS_REDIS_URL; default: in-process store)")
	if err := cf.parse(args); err != nil {
		return err
	}
	cfg, st, err := cf.resolve(e, map[string]string{"AUTHING_ADDR": *addr, "AUTHING_PREFIX": *prefix, "REDIS_URL": *redisURL})
	if err != nil {
		return fmt.Errorf("configuration:\n  %w", indent(err))
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	cfg.auth.Logger = log
	cfg.auth.SecretKey, err = ensureSecret(cfg, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
	if err != nil {
		return err
	}

	users, err := openUsers(ctx, cfg.databaseURL)
	if err != nil {
		return fmt.Errorf("opening the user database: %w", err)
	}
	defer users.Close()
	if err := users.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating the user database: %w", err)
	}

	var store authing.Store
	ready := []readiness{{"database", pinger(users)}}
	if cfg.redisURL != "" {
		client, err := redisstore.Open(cfg.redisURL, redisstore.ClientOptions{})
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		defer client.Close()
		rs := redisstore.New(client, redisstore.Options{Prefix: cfg.redisPrefix})
		store = rs
		ready = append(ready, readiness{"redis", rs.Ping})
	} else {
		ms := memstore.New(memstore.Options{})
		defer ms.Close()
		store = ms
	}

	methods := make([]authing.Method, 0, len(cfg.kinds))
	for _, k := range cfg.kinds {
		m, err := newMethod(k, methodDeps{users: users, hashers: cfg.hashers, upgrade: cfg.upgrade, settings: st})
		if err != nil {
			return err
		}
		methods = append(methods, m)
	}
	svc, err := authing.New(cfg.auth, store, users, methods...)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		authing.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyHandler(ready))
	mux.Handle("/", svc)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           accessLog(log, mux),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	kindsLog := cfg.kinds
	if kindsLog == nil {
		kindsLog = []string{}
	}
	log.Info("authing listening", slog.String("addr", ln.Addr().String()),
		slog.String("prefix", svc.Config().Prefix), slog.String("database", redactURL(cfg.databaseURL)),
		slog.Bool("redis", cfg.redisURL != ""), slog.Any("kinds", kindsLog))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

type readiness struct {
	name string
	ping func(context.Context) error
}

func pinger(db userDB) func(context.Context) error {
	if p, ok := db.(interface{ Ping(context.Context) error }); ok {
		return p.Ping
	}
	return func(context.Context) error { return nil }
}

// readyHandler answers 200 when every dependency answers within a bound,
// else 503 with the failing ones.
func readyHandler(checks []readiness) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		status := map[string]string{}
		code := http.StatusOK
		for _, c := range checks {
			if err := c.ping(ctx); err != nil {
				status[c.name] = "unavailable"
				code = http.StatusServiceUnavailable
			} else {
				status[c.name] = "ok"
			}
		}
		authing.WriteJSON(w, code, status)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog logs one line per request with a request id. It logs the path
// only: query strings may carry tokens and are never logged.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", authing.ClientIP(r)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

type indented struct{ error }

func (i indented) Error() string {
	msg := i.error.Error()
	out := make([]byte, 0, len(msg))
	for j := 0; j < len(msg); j++ {
		out = append(out, msg[j])
		if msg[j] == '\n' {
			out = append(out, ' ', ' ')
		}
	}
	return string(out)
}

func indent(err error) error { return indented{err} }
