// Package redisthrottle keeps authing's abuse-defence state in Redis, shared
// by every instance of a deployment:
//
//   - Limiter: the attempt limiter of package throttle (same rules, same
//     semantics, the same conformance suite), whose counters are updated by
//     atomic Lua scripts so that the limits hold overall, however many
//     instances take the attempts;
//   - Revocations: authing.Revocations (revoked sessions and "sign out
//     everywhere").
//
// Both work with a single-node, Sentinel or Cluster client: the keys that a
// script touches share one hash tag. Errors of Redis are wrapped with
// authing.ErrUnavailable, which the Service answers with 503: when Redis is
// down, attempts are refused rather than let through unthrottled.
package redisthrottle

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
	"authing.dev/authing/throttle"
)

// DefaultPrefix is the default key prefix of a Limiter.
const DefaultPrefix = "authing:throttle"

// Options configure a Limiter. The zero value is ready to use.
type Options struct {
	// Prefix names the limiter's keys: "{<Prefix>}:<counter>". It is the
	// keys' hash tag, so all of them live on one Cluster slot. Instances
	// that share limits use the same prefix. Default DefaultPrefix.
	Prefix string
	// Limits are the rules; the zero value is throttle.DefaultLimits. All
	// instances must use the same. Limits.Now stamps the counters: the
	// instances' clocks should agree within a second (NTP).
	Limits throttle.Limits
	// OnError, when set, receives the errors of Done, which cannot return
	// them (the outcome of an attempt is then not recorded).
	OnError func(error)
}

// Limiter throttles credential attempts with counters in Redis. It
// implements the password.Limiter hook and is safe for concurrent use; it
// does not own the client.
type Limiter struct {
	client redis.UniversalClient
	lim    throttle.Limits
	prefix string
	onErr  func(error)
}

// New returns a Limiter on client.
func New(client redis.UniversalClient, opts Options) *Limiter {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &Limiter{client: client, lim: opts.Limits.WithDefaults(), prefix: "{" + opts.Prefix + "}:", onErr: opts.OnError}
}

// Limits returns the rules in effect (defaults applied).
func (l *Limiter) Limits() throttle.Limits { return l.lim }

//go:embed allow.lua
var allowLua string

//go:embed done.lua
var doneLua string

//go:embed cancel.lua
var cancelLua string

var (
	allowScript  = redis.NewScript(allowLua)
	doneScript   = redis.NewScript(doneLua)
	cancelScript = redis.NewScript(cancelLua)
)

// keys returns the known key and the five counter keys of an attempt, and
// whether each counter applies.
func (l *Limiter) keys(username, clientIP string) ([]string, [5]bool) {
	s := throttle.SubjectsOf(username, clientIP)
	names := s.Counters()
	keys := make([]string, 0, 6)
	keys = append(keys, l.prefix+s.Known)
	var on [5]bool
	for i, r := range l.lim.Rules() {
		on[i] = !r.Off && names[i] != ""
		if names[i] == "" {
			names[i] = "n:none"
		}
		keys = append(keys, l.prefix+names[i])
	}
	return keys, on
}

func ruleArgs(args []any, on bool, r throttle.Rule) []any {
	flag := "0"
	if on {
		flag = "1"
	}
	return append(args, flag, r.Free, r.Forgive.Milliseconds(), r.Delay.Milliseconds(), r.MaxDelay.Milliseconds())
}

// Allow implements password.Limiter: one script checks every counter of the
// attempt and, when none imposes a wait, counts the attempt on all of them.
func (l *Limiter) Allow(ctx context.Context, username, clientIP string) (int, error) {
	keys, on := l.keys(username, clientIP)
	args := make([]any, 0, 26)
	args = append(args, l.lim.Now().UnixMilli())
	for i, r := range l.lim.Rules() {
		args = ruleArgs(args, on[i], r)
	}
	wait, err := allowScript.Run(ctx, l.client, keys, args...).Int64()
	if err != nil {
		return 0, unavailable(ctx, "allow", err)
	}
	return int((wait + 999) / 1000), nil
}

// Done implements password.Limiter, as throttle.Limiter.Done does, in one
// script.
func (l *Limiter) Done(ctx context.Context, username, clientIP string, success bool) {
	if !success {
		return
	}
	keys, on := l.keys(username, clientIP)
	args := make([]any, 0, 17)
	args = append(args, l.lim.Now().UnixMilli(), l.lim.KnownFor.Milliseconds())
	rules := l.lim.Rules()
	for i := 2; i < 5; i++ {
		args = ruleArgs(args, on[i], rules[i])
	}
	if err := doneScript.Run(ctx, l.client, keys, args...).Err(); err != nil && l.onErr != nil {
		l.onErr(unavailable(ctx, "done", err))
	}
}

// Cancel implements password.Canceler, as throttle.Limiter.Cancel does, in
// one script. Errors go to Options.OnError.
func (l *Limiter) Cancel(ctx context.Context, username, clientIP string) {
	keys, on := l.keys(username, clientIP)
	args := make([]any, 0, 26)
	args = append(args, l.lim.Now().UnixMilli())
	for i, r := range l.lim.Rules() {
		args = ruleArgs(args, on[i], r)
	}
	if err := cancelScript.Run(ctx, l.client, keys, args...).Err(); err != nil && l.onErr != nil {
		l.onErr(unavailable(ctx, "cancel", err))
	}
}

// Ping checks that Redis answers, for readiness probes.
func (l *Limiter) Ping(ctx context.Context) error {
	if err := l.client.Ping(ctx).Err(); err != nil {
		return unavailable(ctx, "ping", err)
	}
	return nil
}

// unavailable wraps an error of the driver with authing.ErrUnavailable (and
// the context's error when it is done).
func unavailable(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisthrottle: %s: %w: %w (%w)", op, authing.ErrUnavailable, cerr, err)
	}
	return fmt.Errorf("redisthrottle: %s: %w: %w", op, authing.ErrUnavailable, err)
}
