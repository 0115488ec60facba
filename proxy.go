package authing

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies returns a middleware that finds the client address of a
// request behind reverse proxies and load balancers, for ClientIP (and so
// for throttling and audit events).
//
// Only a request whose connection comes from a trusted address has its
// X-Forwarded-For read, and only from the right: each proxy appends the
// address it received the request from, so the entries are walked right to
// left, through trusted addresses only, and the first address that is not
// trusted is the client. Entries left of it were written by the client and
// are ignored: a client cannot choose its address by sending the header
// itself. When every entry is trusted the leftmost is the client; an entry
// that is not an address ends the walk at the last good one.
//
// With no trusted prefixes the middleware changes nothing: ClientIP is the
// connection's address. The Forwarded header (RFC 7239) is not read.
func TrustedProxies(trusted []netip.Prefix) func(http.Handler) http.Handler {
	trusted = append([]netip.Prefix(nil), trusted...)
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		if len(trusted) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			remote, ok := parseHop(r.RemoteAddr)
			if !ok || !isTrusted(remote) {
				next.ServeHTTP(w, r)
				return
			}
			client := remote
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				a, ok := parseHop(hops[i])
				if !ok {
					break
				}
				client = a
				if !isTrusted(a) {
					break
				}
			}
			next.ServeHTTP(w, r.WithContext(WithClientIP(r.Context(), client.String())))
		})
	}
}

// parseHop reads an address as proxies write it: "192.0.2.1",
// "2001:db8::1", or with a port ("192.0.2.1:4711", "[2001:db8::1]:4711").
// IPv4-mapped IPv6 addresses are unmapped and zones dropped.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		host, _, serr := net.SplitHostPort(s)
		if serr != nil {
			return netip.Addr{}, false
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// ParsePrefixes reads CIDR prefixes ("10.0.0.0/8", "2001:db8::/32") and
// single addresses ("192.0.2.7", a /32 or /128), as listed in
// AUTHING_TRUSTED_PROXIES.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Is4In6() {
				if p.Bits() < 96 {
					return nil, fmt.Errorf("authing: %q: an IPv4-mapped prefix must be at least /96", s)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("authing: %q is neither a CIDR prefix nor an IP address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
