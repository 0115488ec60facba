package throttle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Rule is the limit of one counter. The zero value means the default of the
// counter it is used for (see DefaultLimits).
type Rule struct {
	// Off turns the counter off.
	Off bool
	// Free is the number of failures without any wait.
	Free int
	// Forgive is the time after which one failure is forgotten; a counter
	// falls by one every Forgive.
	Forgive time.Duration
	// Delay is the first wait, after failure Free+1. Default 1 s.
	Delay time.Duration
	// MaxDelay caps the wait, which doubles with every further failure.
	MaxDelay time.Duration
}

// Limits are the rules of a Limiter. The zero value is DefaultLimits.
type Limits struct {
	// User counts the failures of one username from any address, except
	// from the addresses it is known at (see KnownFor). It is what slows
	// down guessing one account from many addresses.
	User Rule
	// UserIP counts the failures of one username from one address (known
	// or not). It is what slows down a user who mistypes, and guessing from
	// a known address.
	UserIP Rule
	// IP counts the failures of one client address, whatever the username.
	// It is what slows down one address trying many accounts.
	IP Rule
	// Net counts the failures of the address's network: the /24 of an IPv4
	// address, the /64 of an IPv6 address.
	Net Rule
	// Global counts every failure: a ceiling on the guessing rate (and the
	// hashing work) that the whole service accepts.
	Global Rule
	// KnownFor is how long an address stays known for a user after a
	// successful sign-in from it. Default 30 days.
	KnownFor time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// DefaultLimits returns the default rules. The reasoning (docs/security.md):
//
//   - User, UserIP: 5 free failures (a user who mistypes gets five tries at
//     once), then waits of 1 s, 2 s, 4 s, … capped at 15 min, one failure
//     forgotten every 15 min. A patient attacker gets about one guess per 15
//     minutes per account, fewer than 100 a day, under the 100 consecutive
//     failures that NIST SP 800-63B allows.
//   - IP: 50 free failures, one forgotten per minute: a household or an
//     office behind one NAT address can mistype many times an hour without
//     noticing; one address trying many accounts gets about 50 guesses,
//     then at most one a minute in the long run.
//   - Net: 200 free failures per /24 or /64, one forgotten every 15 s: the
//     attacker who rotates addresses within one network block.
//   - Global: 1,000 free failures, one forgotten every 10 ms (100 failed
//     sign-ins per second sustained, far above what even a large site sees
//     from its users), waits capped at 1 min: a circuit breaker against a
//     botnet's credential stuffing and a bound on the hashing work it costs.
//   - KnownFor: 30 days.
func DefaultLimits() Limits {
	return Limits{
		User:     Rule{Free: 5, Forgive: 15 * time.Minute, Delay: time.Second, MaxDelay: 15 * time.Minute},
		UserIP:   Rule{Free: 5, Forgive: 15 * time.Minute, Delay: time.Second, MaxDelay: 15 * time.Minute},
		IP:       Rule{Free: 50, Forgive: time.Minute, Delay: time.Second, MaxDelay: 15 * time.Minute},
		Net:      Rule{Free: 200, Forgive: 15 * time.Second, Delay: time.Second, MaxDelay: 15 * time.Minute},
		Global:   Rule{Free: 1000, Forgive: 10 * time.Millisecond, Delay: time.Second, MaxDelay: time.Minute},
		KnownFor: 30 * 24 * time.Hour,
		Now:      time.Now,
	}
}

// WithDefaults returns l with every zero field replaced by its default. A
// Rule with only some fields set keeps them and takes the others from the
// default rule of its counter; Off rules stay off.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	fill := func(r *Rule, def Rule) {
		if r.Off {
			return
		}
		if r.Free == 0 && r.Forgive == 0 && r.Delay == 0 && r.MaxDelay == 0 {
			*r = def
			return
		}
		if r.Forgive <= 0 {
			r.Forgive = def.Forgive
		}
		if r.Delay <= 0 {
			r.Delay = def.Delay
		}
		if r.MaxDelay <= 0 {
			r.MaxDelay = def.MaxDelay
		}
		if r.MaxDelay < r.Delay {
			r.MaxDelay = r.Delay
		}
		if r.Free < 0 {
			r.Free = 0
		}
	}
	fill(&l.User, d.User)
	fill(&l.UserIP, d.UserIP)
	fill(&l.IP, d.IP)
	fill(&l.Net, d.Net)
	fill(&l.Global, d.Global)
	if l.KnownFor <= 0 {
		l.KnownFor = d.KnownFor
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return l
}

// Rules returns the five rules in the order of Subjects.Counters: User,
// UserIP, IP, Net, Global.
func (l Limits) Rules() [5]Rule { return [5]Rule{l.User, l.UserIP, l.IP, l.Net, l.Global} }

// ParseRule reads a rule written "FREE/FORGIVE/MAXDELAY[/DELAY]", e.g.
// "5/15m/15m" (durations as time.ParseDuration reads them), or "off".
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Rule{Off: true}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 3 || len(parts) > 4 {
		return Rule{}, fmt.Errorf("throttle: rule %q is not FREE/FORGIVE/MAXDELAY[/DELAY] or off", s)
	}
	free, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || free < 0 {
		return Rule{}, fmt.Errorf("throttle: rule %q: FREE must be a whole number ≥ 0", s)
	}
	durs := make([]time.Duration, len(parts)-1)
	for i, p := range parts[1:] {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d < time.Millisecond {
			return Rule{}, fmt.Errorf("throttle: rule %q: %q is not a duration of at least 1ms", s, p)
		}
		durs[i] = d
	}
	r := Rule{Free: free, Forgive: durs[0], MaxDelay: durs[1], Delay: time.Second}
	if len(durs) == 3 {
		r.Delay = durs[2]
	}
	if r.MaxDelay < r.Delay {
		return Rule{}, fmt.Errorf("throttle: rule %q: MAXDELAY is shorter than the first delay (%v)", s, r.Delay)
	}
	return r, nil
}

// String writes the rule as ParseRule reads it.
func (r Rule) String() string {
	if r.Off {
		return "off"
	}
	s := strconv.Itoa(r.Free) + "/" + r.Forgive.String() + "/" + r.MaxDelay.String()
	if r.Delay != time.Second {
		s += "/" + r.Delay.String()
	}
	return s
}

// MaxFailures is the documented limit of a rule: an upper bound on the
// failures it lets through in any window of the given length, whatever the
// pace of the attempts:
//
//	Free + 1 + ⌈window/Forgive⌉ + ⌊log2(window/Delay + 1)⌋ + ⌊window/MaxDelay⌋
//
// (the free failures, the one that starts the waits, one more for each
// failure forgiven, and the waits that fit in the window: doubling, then at
// the cap). For the default username rule that is 18 in the first 1,000
// seconds and 214 in a day — in practice one guess every 15 minutes once
// the cap is reached. An Off rule has no limit (-1).
func (r Rule) MaxFailures(window time.Duration) int {
	if r.Off {
		return -1
	}
	w := float64(window.Milliseconds())
	n := r.Free + 1 + int(math.Ceil(w/float64(r.Forgive.Milliseconds())))
	n += int(math.Floor(math.Log2(w/float64(r.Delay.Milliseconds()) + 1)))
	n += int(math.Floor(w / float64(r.MaxDelay.Milliseconds())))
	return n
}

// Subjects are the counter names of one attempt. Implementations prefix
// them with their own namespace.
type Subjects struct {
	User   string // "u:" + hash of the username
	UserIP string // "p:" + hash of the username and the address
	IP     string // "i:" + the address (canonical form)
	Net    string // "n:" + the /24 or /64 network; "" when the address is not an IP
	Known  string // "k:" + hash of the username and the address
}

// Global is the name of the global counter.
const Global = "g"

// SubjectsOf names the counters of an attempt of username from clientIP.
// IPv4-mapped IPv6 addresses count as IPv4; zones are dropped. A client
// address that is not an IP (an unusual RemoteAddr) is counted under its
// hash and has no network.
func SubjectsOf(username, clientIP string) Subjects {
	ip, network := "", ""
	if a, err := netip.ParseAddr(clientIP); err == nil {
		a = a.Unmap().WithZone("")
		bits := 64
		if a.Is4() {
			bits = 24
		}
		p, _ := a.Prefix(bits)
		ip, network = a.String(), p.String()
	} else {
		ip = "?" + digest(clientIP)
	}
	pair := digest(username + "\x00" + ip)
	s := Subjects{User: "u:" + digest(username), UserIP: "p:" + pair, IP: "i:" + ip, Known: "k:" + pair}
	if network != "" {
		s.Net = "n:" + network
	}
	return s
}

// Counters returns the counter names in the order of Limits.Rules.
func (s Subjects) Counters() [5]string { return [5]string{s.User, s.UserIP, s.IP, s.Net, Global} }

// digest is a short, fixed-size name for a string of any length: keys stay
// small, and usernames are not kept in clear.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// counter is the state of one counter: a failure count that falls by one
// every Forgive, the time it was last updated and the time until which
// attempts must wait. Times are Unix milliseconds, as in redisthrottle's
// scripts, so that both compute the same numbers.
type counter struct {
	n     float64
	t     int64 // last update
	until int64 // 0: no wait
}

// decay forgets the failures of the time since the last update.
func (c *counter) decay(now int64, r Rule) {
	if c.t != 0 && now > c.t {
		c.n -= float64(now-c.t) / float64(r.Forgive.Milliseconds())
		if c.n < 0 {
			c.n = 0
		}
	}
	c.t = now
}

// wait is how long an attempt at now must still wait, in milliseconds.
func (c *counter) wait(now int64) int64 {
	if c.until > now {
		return c.until - now
	}
	return 0
}

// reserve counts one attempt and sets the wait that its failure imposes.
func (c *counter) reserve(now int64, r Rule) {
	c.decay(now, r)
	c.n++
	c.until = 0
	if d := delayAfter(c.n, r); d > 0 {
		c.until = now + d
	}
}

// refund gives back the reservation of a successful attempt. The wait that
// the reservation may have set shrinks to the one the remaining failures
// impose, counted from now.
func (c *counter) refund(now int64, r Rule) {
	c.decay(now, r)
	c.n--
	if c.n < 0 {
		c.n = 0
	}
	if d := delayAfter(c.n, r); d == 0 {
		c.until = 0
	} else {
		c.until = min(c.until, now+d)
	}
}

// ttl is how long the counter matters: until its wait is over and its
// failures are all forgotten.
func (c *counter) ttl(now int64, r Rule) int64 {
	keep := int64(math.Ceil(c.n * float64(r.Forgive.Milliseconds())))
	if w := c.wait(now); w > keep {
		keep = w
	}
	return max(keep, 1)
}

// epsilon absorbs the rounding of the forgiving arithmetic.
const epsilon = 1e-9

// delayAfter is the wait in milliseconds after the failure that brought the
// counter to n: none up to Free, then Delay doubled for each failure beyond
// Free+1, capped at MaxDelay.
func delayAfter(n float64, r Rule) int64 {
	over := int(math.Ceil(n-epsilon)) - r.Free - 1
	if over < 0 {
		return 0
	}
	maxd := r.MaxDelay.Milliseconds()
	if over >= 40 {
		return maxd
	}
	return min(r.Delay.Milliseconds()<<over, maxd)
}

// seconds rounds a wait in milliseconds up to whole seconds (Retry-After).
func seconds(ms int64) int {
	return int((ms + 999) / 1000)
}
