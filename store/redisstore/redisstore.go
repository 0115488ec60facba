package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Prefix is put in front of every key. Default "": keys are exactly
	// the logical keys, named as Bazis names them (auth_store_<key>). A
	// prefix separates tenants or tests sharing one Redis database.
	Prefix string
}

// Store is an authing.Store on Redis. It is safe for concurrent use; it
// does not own the client (closing it is the caller's job).
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ authing.Store = (*Store)(nil)

// New returns a Store using client, which may be a single-node, failover
// (Sentinel) or Cluster client; see Open for one with bounded timeouts.
func New(client redis.UniversalClient, opts Options) *Store {
	return &Store{client: client, prefix: opts.Prefix}
}

// Put implements authing.Store with SET key value PX ttl. The ttl must be
// positive; it is rounded up to whole milliseconds.
func (s *Store) Put(ctx context.Context, key string, d authing.StoreData, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return unavailable(ctx, "put", err)
	}
	if ttl <= 0 {
		return fmt.Errorf("redisstore: put: ttl %v is not positive", ttl)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("redisstore: put: %w", err)
	}
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++
	}
	if err := s.client.Do(ctx, "set", s.prefix+key, b, "px", ms).Err(); err != nil {
		return unavailable(ctx, "put", err)
	}
	return nil
}

// Get implements authing.Store with GET.
func (s *Store) Get(ctx context.Context, key string) (authing.StoreData, bool, error) {
	if err := ctx.Err(); err != nil {
		return authing.StoreData{}, false, unavailable(ctx, "get", err)
	}
	b, err := s.client.Get(ctx, s.prefix+key).Bytes()
	return decode(ctx, "get", b, err)
}

// Claim implements authing.Store with GETDEL: the caller whose GETDEL
// returned the value wins.
func (s *Store) Claim(ctx context.Context, key string) (authing.StoreData, bool, error) {
	if err := ctx.Err(); err != nil {
		return authing.StoreData{}, false, unavailable(ctx, "claim", err)
	}
	b, err := s.client.GetDel(ctx, s.prefix+key).Bytes()
	return decode(ctx, "claim", b, err)
}

// Delete implements authing.Store with DEL.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return unavailable(ctx, "delete", err)
	}
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return unavailable(ctx, "delete", err)
	}
	return nil
}

// Ping checks that Redis answers, for readiness probes. Its error matches
// authing.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return unavailable(ctx, "ping", err)
	}
	if err := s.client.Ping(ctx).Err(); err != nil {
		return unavailable(ctx, "ping", err)
	}
	return nil
}

// decode turns the answer of GET or GETDEL into the result of Get or Claim.
func decode(ctx context.Context, op string, b []byte, err error) (authing.StoreData, bool, error) {
	if errors.Is(err, redis.Nil) {
		return authing.StoreData{}, false, nil
	}
	if err != nil {
		return authing.StoreData{}, false, unavailable(ctx, op, err)
	}
	var d authing.StoreData
	if err := json.Unmarshal(b, &d); err != nil {
		// Not ErrUnavailable: Redis answered, with a value that is not ours.
		return authing.StoreData{}, false, fmt.Errorf("redisstore: %s: bad value: %w", op, err)
	}
	return d, true, nil
}

// unavailable wraps an error of the driver with authing.ErrUnavailable.
// When the caller's context is done, the error also matches ctx.Err()
// (context.Canceled or context.DeadlineExceeded), even if the driver
// reported it as a network error.
func unavailable(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if cerr == nil {
		// The socket deadline, set from the context's, can fire a moment
		// before the context's own timer.
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			cerr = context.DeadlineExceeded
		}
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisstore: %s: %w: %w (%w)", op, authing.ErrUnavailable, cerr, err)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", op, authing.ErrUnavailable, err)
}
