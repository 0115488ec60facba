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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
	"authing.dev/authing/internal/statuswriter"
	"authing.dev/authing/store/memstore"
	"authing.dev/authing/store/redisstore"
	"authing.dev/authing/userdb/postgres"
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
	log := slog.New(requestIDHandler{slog.NewJSONHandler(e.stderr, nil)})
	// Code that logs through slog.Default (the password method's hash
	// upgrade warnings) writes the same JSON lines, with the request id.
	slog.SetDefault(log)
	redis.SetLogger(redisLogger{log})
	cfg.auth.Logger = log
	cfg.auth.SecretKey, err = ensureSecret(cfg, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
	if err != nil {
		return err
	}
	sec, err := newSecurity(cfg, log) // throttling, revocation, audit log, trusted proxies: wiring_security.go
	if err != nil {
		return err
	}
	defer sec.Close()

	users, err := openUserDB(ctx, cfg.databaseURL, cfg.backend.postgres)
	if err != nil {
		return fmt.Errorf("opening the user database: %w", err)
	}
	defer users.Close()
	if cfg.backend.migrate {
		if err := users.Migrate(ctx); err != nil {
			return fmt.Errorf("migrating the user database: %w", err)
		}
	} else if err := pingWithin(ctx, pinger(users)); err != nil {
		// The instance starts anyway: requests that need the database
		// answer 503 and /readyz fails until it answers.
		log.Warn("the user database is not reachable yet", slog.Any("error", err))
	}

	var store authing.Store
	ready := []readiness{{"database", pinger(users)}}
	if cfg.redisURL != "" {
		client, err := redisstore.Open(cfg.redisURL, cfg.backend.redis)
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		defer client.Close()
		rs := redisstore.New(client, redisstore.Options{Prefix: cfg.redisPrefix})
		store = rs
		ready = append(ready, readiness{"redis", rs.Ping})
		if err := pingWithin(ctx, rs.Ping); err != nil {
			log.Warn("redis is not reachable yet", slog.Any("error", err))
		}
	} else {
		ms := memstore.New(memstore.Options{})
		defer ms.Close()
		store = ms
	}

	x := newExtras(cfg, &store) // metrics, Swagger UI, login page: extras.go
	methods := make([]authing.Method, 0, len(cfg.kinds))
	for _, k := range cfg.kinds {
		m, err := newMethod(k, methodDeps{users: users, hashers: cfg.hashers, upgrade: cfg.upgrade, settings: st, limiter: sec.limiter})
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
	mux.HandleFunc("GET /readyz", readyHandler(log, ready))
	mux.Handle("/", svc)
	x.mount(mux, svc)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           sec.wrap(accessLog(log, withDeadline(cfg.backend.requestTimeout, mux))),
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

// pingWithin runs one readiness check bounded by readyTimeout.
func pingWithin(ctx context.Context, ping func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	return ping(ctx)
}

// readyHandler answers 200 when every dependency answers within
// readyTimeout, else 503 with the failing ones. The checks run at once, so
// one dependency that hangs does not use up the time of the others. Each
// failing dependency is logged with its error.
func readyHandler(log *slog.Logger, checks []readiness) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() { errs[i] = pingWithin(r.Context(), c.ping) })
		}
		wg.Wait()
		status := map[string]string{}
		code := http.StatusOK
		for i, c := range checks {
			if errs[i] != nil {
				status[c.name] = "unavailable"
				code = http.StatusServiceUnavailable
				log.LogAttrs(r.Context(), slog.LevelWarn, "not ready", slog.String("dependency", c.name), slog.Any("error", errs[i]))
			} else {
				status[c.name] = "ok"
			}
		}
		authing.WriteJSON(w, code, status)
	}
}

// accessLog logs one line per request and gives the request its id: the
// client's X-Request-Id when it is a plausible id, else a random one. The
// id is echoed in the X-Request-Id response header and put in the request's
// context, where requestIDHandler adds it to every log line written with
// that context (the access line, the service's "request failed" lines). It
// logs the path only: query strings may carry tokens and are never logged.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		start := time.Now()
		rec := &statuswriter.Writer{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.Status), slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", authing.ClientIP(r)))
	})
}

// requestIDKey is the context key of the request id.
type requestIDKey struct{}

// requestID returns the id accessLog gave the request of ctx, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDHandler adds request_id, first, to every record logged with the
// context of a request.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := requestID(ctx); id != "" {
		nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
		nr.AddAttrs(slog.String("request_id", id))
		r.Attrs(func(a slog.Attr) bool {
			nr.AddAttrs(a)
			return true
		})
		r = nr
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// redisLogger sends go-redis's own messages (failed dials, pool events) to
// the service log as JSON lines, with the request id when there is one,
// instead of go-redis's plain-text lines on stderr.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	l.log.LogAttrs(ctx, slog.LevelWarn, "redis client", slog.String("detail", fmt.Sprintf(format, v...)))
}

// withDeadline bounds the work of every request: a backing service that is
// slow without failing ends in a 503 at the deadline, not in a hang.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// backendConfig holds the pool, timeout and start-up settings of the
// production backends.
type backendConfig struct {
	postgres       postgres.Options
	redis          redisstore.ClientOptions
	requestTimeout time.Duration
	migrate        bool
}

// backendSettings reads the pool and timeout settings. A setting left at its
// default passes zero to the backend, so that a parameter of the database
// or Redis URL (pool_max_conns, connect_timeout, dial_timeout, read_timeout,
// pool_size, …) still applies; the backends' own defaults equal the
// defaults of the settings table. A setting given explicitly wins.
func backendSettings(st *settings) (backendConfig, error) {
	var (
		b    backendConfig
		errs []error
	)
	count := func(name string, limit int) int {
		n, err := strconv.Atoi(strings.TrimSpace(st.str(name)))
		if err != nil || n < 0 || n > limit {
			errs = append(errs, fmt.Errorf("%s must be a number from 0 (automatic) to %d (got %q)", name, limit, st.str(name)))
			return 0
		}
		if st.source[name] == "default" {
			return 0
		}
		return n
	}
	timeout := func(name string, always bool) time.Duration {
		raw := strings.TrimSpace(st.str(name))
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || !(f >= 0.001 && f <= 3600) {
			errs = append(errs, fmt.Errorf("%s must be a number of seconds from 0.001 to 3600, decimals allowed (got %q)", name, raw))
			return 0
		}
		if st.source[name] == "default" && !always {
			return 0
		}
		return time.Duration(f * float64(time.Second)).Round(time.Millisecond)
	}
	b.postgres.MaxConns = int32(count("DATABASE_MAX_CONNS", 10000))
	b.postgres.ConnectTimeout = timeout("DATABASE_CONNECT_TIMEOUT", false)
	b.postgres.QueryTimeout = timeout("DATABASE_QUERY_TIMEOUT", true)
	b.redis.PoolSize = count("REDIS_POOL_SIZE", 10000)
	b.redis.DialTimeout = timeout("REDIS_CONNECT_TIMEOUT", false)
	if d := timeout("REDIS_TIMEOUT", false); d > 0 {
		b.redis.ReadTimeout, b.redis.WriteTimeout = d, d
	}
	b.requestTimeout = timeout("AUTHING_REQUEST_TIMEOUT", true)
	var err error
	if b.migrate, err = st.boolean("AUTHING_MIGRATE"); err != nil {
		errs = append(errs, err)
	}
	return b, errors.Join(errs...)
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
