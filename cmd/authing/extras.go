package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"authing.dev/authing"
	"authing.dev/authing/loginpage"
	"authing.dev/authing/metrics"
	"authing.dev/authing/swaggerui"
)

// Paths of the developer-experience endpoints of the standalone server.
const (
	metricsPath   = "/metrics"
	swaggerPath   = "/api/swagger/"
	loginPagePath = "/login/"
)

// extrasConfig is what the AUTHING_METRICS, AUTHING_SWAGGER and
// AUTHING_LOGIN_PAGE settings ask for.
type extrasConfig struct {
	metrics   bool
	swagger   bool
	loginPage bool
}

// extrasSettings reads the settings of the extras. The login page is on by
// default ("auto") in the embedded mode: an SQLite database and the
// in-process store.
func extrasSettings(st *settings) (extrasConfig, error) {
	var c extrasConfig
	var errs []string
	var err error
	if c.metrics, err = st.boolean("AUTHING_METRICS"); err != nil {
		errs = append(errs, err.Error())
	}
	if c.swagger, err = st.boolean("AUTHING_SWAGGER"); err != nil {
		errs = append(errs, err.Error())
	}
	switch v := strings.ToLower(strings.TrimSpace(st.str("AUTHING_LOGIN_PAGE"))); v {
	case "auto", "":
		kind, _, _ := parseDatabaseURL(st.str("DATABASE_URL"))
		c.loginPage = kind == "sqlite" && st.str("REDIS_URL") == ""
	default:
		if c.loginPage, err = st.boolean("AUTHING_LOGIN_PAGE"); err != nil {
			errs = append(errs, "AUTHING_LOGIN_PAGE must be auto, true or false (got "+fmt.Sprintf("%q", v)+")")
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return c, nil
}

// extras are the metrics, Swagger UI and the login page of `serve`.
type extras struct {
	cfg     extrasConfig
	metrics *metrics.Metrics // nil when off
}

// newExtras is called by serve once the store exists and before the
// methods and the Service are built: with metrics on, it counts the
// Service's events, wraps the store and times the password hasher.
func newExtras(cfg *appConfig, store *authing.Store) *extras {
	x := &extras{cfg: cfg.extras}
	if !x.cfg.metrics {
		return x
	}
	m := metrics.New(metrics.Options{})
	x.metrics = m
	backend := "memory"
	if cfg.redisURL != "" {
		backend = "redis"
	}
	*store = m.Store(*store, backend)
	if prev := cfg.auth.Events; prev != nil {
		cfg.auth.Events = func(ctx context.Context, e authing.Event) { prev(ctx, e); m.Events(ctx, e) }
	} else {
		cfg.auth.Events = m.Events
	}
	if cfg.hashers != nil {
		cfg.hashers = m.Hasher(cfg.hashers)
	}
	return x
}

// mount adds /metrics, /api/swagger/ and /login/ to mux, and times the
// requests of the API routes (mux serves svc at "/").
func (x *extras) mount(mux *http.ServeMux, svc *authing.Service) {
	instrument := func(h http.Handler) http.Handler { return h }
	if m := x.metrics; m != nil {
		instrument = m.Middleware
		mux.Handle("GET "+metricsPath, instrument(m.Handler()))
		c := svc.Config()
		if c.Prefix != "" {
			mux.Handle(c.Prefix+"/", instrument(svc))
		}
		if u := c.OpenAPITokenURL; u != "-" && !strings.HasPrefix(u, c.Prefix+"/") {
			mux.Handle(u, instrument(svc))
		}
	}
	if x.cfg.swagger {
		mux.Handle(swaggerPath, instrument(swaggerui.Handler(swaggerui.Options{SpecURL: svc.Path(authing.OpenAPIPath)})))
	}
	if x.cfg.loginPage {
		mux.Handle(loginPagePath, instrument(loginpage.Handler(loginpage.Options{
			Prefix: svc.Config().Prefix, CookieName: svc.Config().CookieName})))
	}
}
