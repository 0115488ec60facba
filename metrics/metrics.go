package metrics

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"authing.dev/authing"
	"authing.dev/authing/internal/statuswriter"
)

// Options configure Metrics. The zero value is ready to use.
type Options struct {
	// Registry receives the metrics. Default: a new registry that also
	// holds the Go runtime and process collectors. A registry passed in
	// gets authing's metrics only.
	Registry *prometheus.Registry
}

// Metrics holds authing's collectors. Its methods are safe for concurrent
// use.
type Metrics struct {
	reg *prometheus.Registry

	signIns   *prometheus.CounterVec
	claims    *prometheus.CounterVec
	refreshes *prometheus.CounterVec
	logouts   prometheus.Counter
	throttled *prometheus.CounterVec
	revoked   *prometheus.CounterVec
	events    *prometheus.CounterVec

	storeOps      *prometheus.CounterVec
	storeErrors   *prometheus.CounterVec
	storeDuration *prometheus.HistogramVec
	storeClaims   *prometheus.CounterVec

	hashDuration *prometheus.HistogramVec

	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge
}

// New creates the collectors and registers them.
func New(opts Options) *Metrics {
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "authing", Name: name, Help: help}, labels)
		reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "authing", Name: name, Help: help, Buckets: buckets}, labels)
		reg.MustRegister(h)
		return h
	}
	m := &Metrics{reg: reg}
	m.signIns = counter("sign_ins_total", "Sign-in attempts by method and outcome (success, failure, throttled).", "method", "outcome")
	m.claims = counter("claims_total", "Signed-in stores claimed by GET /auth/ (sessions handed out), by method.", "method")
	m.refreshes = counter("session_refreshes_total", "Session tokens refreshed by GET /auth/, by the method of the session.", "method")
	m.logouts = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "authing", Name: "logouts_total", Help: "POST /logout/ requests."})
	reg.MustRegister(m.logouts)
	m.throttled = counter("throttled_total", "Attempts refused by throttling, by method.", "method")
	m.revoked = counter("revocations_total", "Session revocations by scope (session: a logout; user: sign out everywhere).", "scope")
	m.events = counter("events_total", "Every event of the service, by kind.", "kind")
	m.storeOps = counter("store_operations_total", "Store operations by backend and operation (put, get, claim, delete).", "backend", "op")
	m.storeErrors = counter("store_errors_total", "Failed store operations by backend and operation.", "backend", "op")
	m.storeDuration = histogram("store_operation_duration_seconds", "Duration of store operations.",
		[]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}, "backend", "op")
	m.storeClaims = counter("store_claims_total", "Store claims by backend and result (won: this request took the store; lost: it was gone).", "backend", "result")
	m.hashDuration = histogram("password_hash_duration_seconds", "Duration of password-hash work: verify, encode, and dummy (an unknown user).",
		[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}, "op")
	m.httpDuration = histogram("http_request_duration_seconds", "Duration of HTTP requests by route pattern, method and status.",
		prometheus.DefBuckets, "route", "method", "status")
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "authing", Name: "http_requests_in_flight", Help: "HTTP requests being served."})
	reg.MustRegister(m.httpInFlight)
	return m
}

// Registry returns the registry of the metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Events counts the service's events; use it as authing.Config.Events (or
// call it from your own). It never blocks.
func (m *Metrics) Events(_ context.Context, e authing.Event) {
	method := e.Method
	if method == "" {
		method = "none"
	}
	m.events.WithLabelValues(e.Kind).Inc()
	switch {
	case e.Kind == authing.EventLoginSuccess:
		m.signIns.WithLabelValues(method, "success").Inc()
	case e.Kind == authing.EventThrottled, e.Kind == authing.EventLoginFailure && isThrottle(e.Reason):
		m.signIns.WithLabelValues(method, "throttled").Inc()
		m.throttled.WithLabelValues(method).Inc()
	case e.Kind == authing.EventLoginFailure:
		m.signIns.WithLabelValues(method, "failure").Inc()
	case e.Kind == authing.EventClaim:
		m.claims.WithLabelValues(method).Inc()
	case e.Kind == authing.EventSession:
		m.refreshes.WithLabelValues(method).Inc()
	case e.Kind == authing.EventLogout:
		m.logouts.Inc()
	case e.Kind == authing.EventRevokeSession:
		m.revoked.WithLabelValues("session").Inc()
	case e.Kind == authing.EventRevokeUser:
		m.revoked.WithLabelValues("user").Inc()
	case strings.Contains(e.Kind, "throttl"):
		m.throttled.WithLabelValues(method).Inc()
	}
}

// isThrottle reports a failure reason that means "refused by throttling".
func isThrottle(reason string) bool {
	return reason == "TOO_MANY_ATTEMPTS" || strings.Contains(strings.ToLower(reason), "throttl")
}

// Middleware records the duration of each request by the route pattern
// that served it (as a ServeMux sets Request.Pattern; the innermost mux
// wins, so a Service wrapped here reports its own routes, e.g.
// "/api/v1/authing/auth/"), the method and the status.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.httpInFlight.Inc()
		defer m.httpInFlight.Dec()
		start := time.Now()
		sw := &statuswriter.Writer{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.Status
		if status == 0 {
			status = http.StatusOK
		}
		m.httpDuration.WithLabelValues(route(r.Pattern), method(r.Method), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	})
}

// route turns a ServeMux pattern ("POST /api/v1/authing/password/{$}") into
// a label ("/api/v1/authing/password/").
func route(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	return strings.TrimSuffix(pattern, "{$}")
}

func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
