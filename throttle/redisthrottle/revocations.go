package redisthrottle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
)

// DefaultRevocationsPrefix is the default key prefix of Revocations.
const DefaultRevocationsPrefix = "authing:revoked"

// RevocationsOptions configure Revocations. The zero value is ready to use.
type RevocationsOptions struct {
	// Prefix of the keys: "<Prefix>:{<user hash>}:all" holds the time of
	// the user's last "sign out everywhere", "<Prefix>:{<user hash>}:s:<id>"
	// one revoked session (until its expiry). Default
	// DefaultRevocationsPrefix.
	Prefix string
	// Retain is how long a "sign out everywhere" is kept: at least the
	// session lifetime. Default authing.DefaultRevocationRetention.
	Retain time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Revocations is authing.Revocations in Redis, shared by all instances. It
// is safe for concurrent use; it does not own the client.
type Revocations struct {
	client redis.UniversalClient
	prefix string
	retain time.Duration
	now    func() time.Time
}

var _ authing.Revocations = (*Revocations)(nil)

// NewRevocations returns Revocations on client.
func NewRevocations(client redis.UniversalClient, opts RevocationsOptions) *Revocations {
	if opts.Prefix == "" {
		opts.Prefix = DefaultRevocationsPrefix
	}
	if opts.Retain <= 0 {
		opts.Retain = authing.DefaultRevocationRetention
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Revocations{client: client, prefix: opts.Prefix, retain: opts.Retain, now: opts.Now}
}

// userKeys returns the key of the user's "sign out everywhere" and the
// prefix of its session keys; both share the user's hash tag.
func (r *Revocations) userKeys(username string) (all, session string) {
	h := sha256.Sum256([]byte(username))
	base := r.prefix + ":{" + hex.EncodeToString(h[:16]) + "}:"
	return base + "all", base + "s:"
}

// Check implements authing.Revocations with one MGET.
func (r *Revocations) Check(ctx context.Context, username, sessionID string) (time.Time, bool, error) {
	all, sess := r.userKeys(username)
	vals, err := r.client.MGet(ctx, all, sess+sessionID).Result()
	if err != nil {
		return time.Time{}, false, unavailable(ctx, "check", err)
	}
	var at time.Time
	if s, ok := vals[0].(string); ok {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false, errors.New("redisthrottle: check: bad revocation time")
		}
		at = time.Unix(sec, 0)
	}
	revoked := false
	if s, ok := vals[1].(string); ok {
		until, err := strconv.ParseInt(s, 10, 64)
		revoked = err != nil || until > r.now().UnixMilli()
	}
	return at, revoked, nil
}

// RevokeSession implements authing.Revocations: the key lives until the
// session's expiry.
func (r *Revocations) RevokeSession(ctx context.Context, username, sessionID string, until time.Time) error {
	ttl := until.Sub(r.now())
	if ttl <= 0 {
		return nil // expired anyway
	}
	_, sess := r.userKeys(username)
	if err := r.client.Set(ctx, sess+sessionID, strconv.FormatInt(until.UnixMilli(), 10), ttl).Err(); err != nil {
		return unavailable(ctx, "revoke session", err)
	}
	return nil
}

// revokeUserScript sets the time of a "sign out everywhere" unless a later
// one is already recorded.
var revokeUserScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// RevokeUser implements authing.Revocations.
func (r *Revocations) RevokeUser(ctx context.Context, username string, at time.Time) error {
	all, _ := r.userKeys(username)
	if err := revokeUserScript.Run(ctx, r.client, []string{all}, at.Unix(), r.retain.Milliseconds()).Err(); err != nil {
		return unavailable(ctx, "revoke user", err)
	}
	return nil
}
