package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of ClientOptions.
const (
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	DefaultPoolTimeout  = 2 * time.Second
	DefaultMaxRetries   = 1
	// The default PoolSize is 10 × runtime.GOMAXPROCS(0).
)

// ClientOptions are the connection settings of Open. A zero field takes the
// value of the URL's query parameter of the same meaning (dial_timeout,
// read_timeout, write_timeout, pool_size, pool_timeout, max_retries, as
// go-redis names them), or else the default given with the field.
//
// Every wait is bounded: a timeout that would be unbounded (negative here,
// or "0" or negative in the URL) is refused. One operation on a dead or
// silent Redis fails within about (1+MaxRetries) × (DialTimeout +
// ReadTimeout) — 6 s with the defaults — plus PoolTimeout when every
// connection is busy, or at the caller's context deadline if that comes
// first.
type ClientOptions struct {
	// DialTimeout bounds one attempt to connect (TCP and TLS). Default 2 s.
	DialTimeout time.Duration
	// ReadTimeout bounds waiting for one reply. Default 1 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one command. Default 1 s.
	WriteTimeout time.Duration
	// PoolSize is the largest number of connections. Default
	// 10 × runtime.GOMAXPROCS(0).
	PoolSize int
	// PoolTimeout bounds waiting for a free connection when PoolSize are
	// busy. Default 2 s.
	PoolTimeout time.Duration
	// MaxRetries is how many times a command that failed on the network is
	// retried (on a new connection). Retrying is safe for every command of
	// the Store: a retried GETDEL can lose a claim, never make two winners.
	// Default 1; -1 disables retries.
	MaxRetries int
}

// Open returns a client for the Redis server named by a URL:
//
//	redis://[user:password@]host[:port][/db][?option=value…]
//	rediss://…   (TLS, verifying the server's certificate)
//	unix://[user:password@]/path/to/socket[?db=N…]
//
// with the bounded timeouts of opts, and with the caller's context
// deadline applied to every network wait. The client is not connected yet;
// use Store.Ping to check it. The caller closes it. Error messages never
// contain the password of the URL.
func Open(rawURL string, opts ClientOptions) (redis.UniversalClient, error) {
	if _, err := url.Parse(rawURL); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which holds the password
		}
		return nil, fmt.Errorf("redisstore: invalid Redis URL: %w", err)
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: invalid Redis URL: %w", err)
	}
	for _, d := range []struct {
		name      string
		field     *time.Duration
		opt, def  time.Duration
		urlOption string
	}{
		{"DialTimeout", &o.DialTimeout, opts.DialTimeout, DefaultDialTimeout, "dial_timeout"},
		{"ReadTimeout", &o.ReadTimeout, opts.ReadTimeout, DefaultReadTimeout, "read_timeout"},
		{"WriteTimeout", &o.WriteTimeout, opts.WriteTimeout, DefaultWriteTimeout, "write_timeout"},
		{"PoolTimeout", &o.PoolTimeout, opts.PoolTimeout, DefaultPoolTimeout, "pool_timeout"},
	} {
		switch {
		case d.opt < 0:
			return nil, fmt.Errorf("redisstore: %s %v: timeouts must be positive", d.name, d.opt)
		case d.opt > 0:
			*d.field = d.opt
		case *d.field < 0:
			return nil, fmt.Errorf("redisstore: URL option %s: timeouts must be positive", d.urlOption)
		case *d.field == 0:
			*d.field = d.def
		}
	}
	switch {
	case opts.PoolSize < 0:
		return nil, fmt.Errorf("redisstore: PoolSize %d is negative", opts.PoolSize)
	case opts.PoolSize > 0:
		o.PoolSize = opts.PoolSize
	case o.PoolSize <= 0:
		o.PoolSize = 10 * runtime.GOMAXPROCS(0)
	}
	switch {
	case opts.MaxRetries != 0:
		o.MaxRetries = opts.MaxRetries
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	}
	// One dial attempt per try (go-redis dials up to 5 times by default,
	// which would multiply DialTimeout); MaxRetries still retries.
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	return redis.NewClient(o), nil
}
