package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/redisstore"
	"authing.dev/authing/throttle"
	"authing.dev/authing/throttle/redisthrottle"
)

// securityConfig is what the abuse-defence settings ask for (docs/security.md).
type securityConfig struct {
	throttle       bool
	limits         throttle.Limits
	trustedProxies []netip.Prefix
	revokeOnLogout bool
	auditLog       bool
}

// securitySettings reads AUTHING_THROTTLE*, AUTHING_TRUSTED_PROXIES,
// AUTHING_REVOKE_ON_LOGOUT and AUTHING_AUDIT_LOG.
func securitySettings(st *settings) (securityConfig, error) {
	var c securityConfig
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	c.throttle, err = st.boolean("AUTHING_THROTTLE")
	add(err)
	c.revokeOnLogout, err = st.boolean("AUTHING_REVOKE_ON_LOGOUT")
	add(err)
	c.auditLog, err = st.boolean("AUTHING_AUDIT_LOG")
	add(err)
	for _, r := range []struct {
		name string
		dst  *throttle.Rule
	}{
		{"AUTHING_THROTTLE_USER", &c.limits.User},
		{"AUTHING_THROTTLE_USER_IP", &c.limits.UserIP},
		{"AUTHING_THROTTLE_IP", &c.limits.IP},
		{"AUTHING_THROTTLE_NET", &c.limits.Net},
		{"AUTHING_THROTTLE_GLOBAL", &c.limits.Global},
	} {
		rule, err := throttle.ParseRule(st.str(r.name))
		if err != nil {
			add(fmt.Errorf("%s must be FREE/FORGIVE/MAXDELAY[/DELAY] (e.g. 5/15m/15m) or off (got %q)", r.name, st.str(r.name)))
			continue
		}
		*r.dst = rule
	}
	proxies, err := st.list("AUTHING_TRUSTED_PROXIES")
	add(err)
	if err == nil {
		c.trustedProxies, err = authing.ParsePrefixes(proxies)
		if err != nil {
			add(fmt.Errorf("AUTHING_TRUSTED_PROXIES: %w", err))
		}
	}
	return c, errors.Join(errs...)
}

// Redis key prefixes of the defences (after REDIS_KEY_PREFIX).
const (
	redisThrottlePrefix = "authing:throttle"
	redisRevokedPrefix  = "authing:revoked"
)

// security is the wiring of the abuse defences of `serve`.
type security struct {
	// limiter throttles the credential methods; nil when AUTHING_THROTTLE
	// is false.
	limiter password.Limiter
	// wrap puts the trusted-proxy resolution of client addresses and the
	// security headers of the standalone server around every request.
	wrap func(http.Handler) http.Handler
	// Close releases the Redis client.
	Close func() error
}

// newSecurity builds the defences and completes cfg.auth with them: the
// limiter (in Redis when REDIS_URL is set, so that the limits hold across
// instances, else in memory), the revocations (Redis; with the in-process
// store only for AUTHING_REVOKE_ON_LOGOUT, per process), and the audit log
// of the Service's events.
func newSecurity(cfg *appConfig, log *slog.Logger) (*security, error) {
	sc := cfg.security
	sec := &security{Close: func() error { return nil }}
	var client redis.UniversalClient
	if cfg.redisURL != "" {
		c, err := redisstore.Open(cfg.redisURL, cfg.backend.redis)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		client, sec.Close = c, c.Close
	}
	if sc.throttle {
		if client != nil {
			sec.limiter = redisthrottle.New(client, redisthrottle.Options{
				Prefix: cfg.redisPrefix + redisThrottlePrefix, Limits: sc.limits,
				OnError: func(err error) { log.Warn("throttle: an outcome was not recorded", slog.Any("error", err)) },
			})
		} else {
			sec.limiter = throttle.New(throttle.Options{Limits: sc.limits})
		}
	}
	if client != nil {
		cfg.auth.Revocations = newRedisRevocations(cfg, client)
	}
	cfg.auth.RevokeOnLogout = sc.revokeOnLogout
	if sc.auditLog {
		audit := auditLog(log)
		if prev := cfg.auth.Events; prev != nil {
			cfg.auth.Events = func(ctx context.Context, e authing.Event) { prev(ctx, e); audit(ctx, e) }
		} else {
			cfg.auth.Events = audit
		}
	}
	proxies := authing.TrustedProxies(sc.trustedProxies)
	sec.wrap = func(h http.Handler) http.Handler { return proxies(securityHeaders(h)) }
	return sec, nil
}

func newRedisRevocations(cfg *appConfig, client redis.UniversalClient) *redisthrottle.Revocations {
	return redisthrottle.NewRevocations(client, redisthrottle.RevocationsOptions{
		Prefix: cfg.redisPrefix + redisRevokedPrefix,
		Retain: max(cfg.auth.SessionLifetime, authing.DefaultRevocationRetention),
	})
}

// securityHeaders adds the headers of the standalone server to every answer,
// the health, metrics and HTML pages included (the API's own answers also
// carry nosniff and Cache-Control: no-store): no MIME sniffing, no framing
// (clickjacking of the sign-in pages), no Referer (URLs may carry a token
// in ?bazis_auth=).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// auditLog writes one structured line per event of the Service: the event
// kind, the method, the user, the client address and the reason of a
// failure. Events never carry a password or a token (authing.Event).
func auditLog(log *slog.Logger) func(context.Context, authing.Event) {
	return func(ctx context.Context, e authing.Event) {
		attrs := make([]slog.Attr, 0, 6)
		attrs = append(attrs, slog.String("event", e.Kind))
		for _, a := range []struct{ k, v string }{
			{"method", e.Method}, {"user_id", e.UserID}, {"username", e.Username},
			{"client_ip", e.ClientIP}, {"reason", e.Reason},
		} {
			if a.v != "" {
				attrs = append(attrs, slog.String(a.k, a.v))
			}
		}
		log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	}
}

// cmdRevoke is `authing users revoke --username U`: sign the user out
// everywhere. It needs Redis: the running instances read the revocations
// there; the in-process revocations of a server without REDIS_URL live in
// that server's memory, out of reach of a command.
func cmdRevoke(ctx context.Context, cfg *appConfig, u authing.User, stdout io.Writer) error {
	if cfg.redisURL == "" {
		return errors.New("users revoke needs REDIS_URL: revocations are kept in Redis, where every instance reads them; " +
			"without Redis they live in the memory of each serve process, which a command cannot reach")
	}
	client, err := redisstore.Open(cfg.redisURL, cfg.backend.redis)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer client.Close()
	at := time.Now()
	if err := newRedisRevocations(cfg, client).RevokeUser(ctx, u.Username, at); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signed %s out everywhere: sessions issued until %s are refused\n", u.Username, at.UTC().Format(time.RFC3339))
	return nil
}
