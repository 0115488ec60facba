package authing

import (
	"context"
	"net"
	"net/http"
)

// Event kinds.
const (
	EventLoginSuccess = "login.success"
	EventLoginFailure = "login.failure"
	EventClaim        = "claim"
	EventLogout       = "logout"
	EventSession      = "session.refresh"
)

// Event is one audited occurrence. It never holds a password or a token.
type Event struct {
	Kind     string // one of the Event* constants, or a method's own
	Method   string // the method code, when one is involved
	UserID   string // the user, when known
	Username string // the username tried or signed in, when known
	ClientIP string
	Reason   string // a failure's error code, e.g. USERNAME_PASSWORD_ERROR
}

// Emit sends e to Config.Events, filling ClientIP from the request.
func (s *Service) Emit(r *http.Request, e Event) {
	if s.cfg.Events == nil {
		return
	}
	if e.ClientIP == "" {
		e.ClientIP = ClientIP(r)
	}
	s.cfg.Events(r.Context(), e)
}

type clientIPKey struct{}

// WithClientIP returns a request context carrying the client address, as a
// trusted-proxy middleware determined it; ClientIP prefers it to RemoteAddr.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client address of the request: the one set by
// WithClientIP, else the connection's remote address.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok && ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
