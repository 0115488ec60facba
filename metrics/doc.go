// Package metrics exposes authing to Prometheus: sign-ins by method and
// outcome, claims, session refreshes, logouts and throttling (from the
// Service's events), store operations and errors by backend (a Store
// decorator), password-hash durations (a password.Hasher decorator), HTTP
// request durations by route pattern and status (a middleware), and the Go
// runtime and process metrics.
//
//	m := metrics.New(metrics.Options{})
//	store = m.Store(store, "redis")
//	cfg.Events = m.Events
//	hasher := m.Hasher(hashers.Default())
//	svc, _ := authing.New(cfg, store, users, password.New(users, password.Options{Hasher: hasher}))
//	mux.Handle("/api/v1/authing/", m.Middleware(svc))
//	mux.Handle("GET /metrics", m.Handler())
//
// Every metric lives in the Metrics' own registry (no global state); the
// root package does not import this one.
package metrics
