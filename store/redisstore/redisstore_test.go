package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/store/redisstore"
)

// openTest returns a client of the test Redis, closed at the end of the
// test; it skips (fails in CI) when Redis is absent.
func openTest(t testing.TB) redis.UniversalClient {
	t.Helper()
	c, err := redisstore.Open(testenv.RedisURL(t), redisstore.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a key prefix of its own for one test and removes the
// keys under it at the end.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	prefix := testenv.Unique("authingtest:") + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup of %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("cleanup of %s*: %v", prefix, err)
			}
		}
	})
	return prefix
}

func TestStore(t *testing.T) {
	t.Parallel()
	authingtest.TestStore(t, func(t *testing.T) authingtest.StoreHarness {
		c := openTest(t)
		return authingtest.StoreHarness{
			Store: redisstore.New(c, redisstore.Options{Prefix: testPrefix(t, c)}),
		}
	})
}

// TestStore_Wire checks what is in Redis: the logical key (no prefix by
// default), the JSON of StoreData and a lifetime in milliseconds.
func TestStore_Wire(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := openTest(t)
	key := authing.StoreKeyPrefix + testenv.Unique("") + testenv.Unique("")
	t.Cleanup(func() { c.Del(context.Background(), key) })

	s := redisstore.New(c, redisstore.Options{})
	d := authing.StoreData{
		UserID:   "u1",
		AuthType: "password",
		Errors:   []authing.StoreError{{Code: "E", Detail: "d"}},
		Values:   map[string]string{"x": "y"},
	}
	if err := s.Put(ctx, key, d, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Get(ctx, key).Result()
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	if want := `{"_user_id":"u1","_auth_type":"password","_errors":[{"code":"E","detail":"d"}],"x":"y"}`; raw != want {
		t.Errorf("value = %s\nwant    %s", raw, want)
	}
	if ttl, err := c.PTTL(ctx, key).Result(); err != nil || ttl <= time.Second || ttl > 1500*time.Millisecond {
		t.Errorf("PTTL = %v, %v; want in (1s, 1.5s]", ttl, err)
	}

	// An entry written by another writer in the same form is read.
	if err := c.Set(ctx, key, `{"_user_id": "u2", "_actions": {"values": [1, "a"], "code": "otp", "name": null}, "custom": "v"}`, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Get(ctx, key)
	if err != nil || !found {
		t.Fatalf("Get = %v, %v", found, err)
	}
	if got.UserID != "u2" || got.Actions == nil || got.Actions.Code != "otp" || len(got.Actions.Values) != 2 || got.Values["custom"] != "v" {
		t.Errorf("Get = %+v", got)
	}

	// A sub-millisecond ttl is rounded up to 1 ms, not refused.
	if err := s.Put(ctx, key, authing.StoreData{}, time.Nanosecond); err != nil {
		t.Errorf("Put(ttl 1ns): %v", err)
	}
	if ttl := c.PTTL(ctx, key).Val(); ttl > time.Millisecond {
		t.Errorf("PTTL after Put(ttl 1ns) = %v, want <= 1ms", ttl)
	}

	// With a prefix, the key is the prefix and the logical key.
	prefix := testPrefix(t, c)
	ps := redisstore.New(c, redisstore.Options{Prefix: prefix})
	c.Del(ctx, key)
	if err := ps.Put(ctx, key, authing.StoreData{}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, prefix+key).Val(); n != 1 {
		t.Errorf("EXISTS %s = %d, want 1", prefix+key, n)
	}
	if n := c.Exists(ctx, key).Val(); n != 0 {
		t.Errorf("EXISTS %s = %d, want 0", key, n)
	}
}

// TestStore_BadValue: a value that is not StoreData JSON is an error, but
// not ErrUnavailable (Redis answered).
func TestStore_BadValue(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := openTest(t)
	prefix := testPrefix(t, c)
	s := redisstore.New(c, redisstore.Options{Prefix: prefix})
	for _, raw := range []string{"not json", "[1]", `{"x": 1}`} {
		c.Set(ctx, prefix+"k", raw, time.Minute)
		if _, _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, authing.ErrUnavailable) {
			t.Errorf("Get of %q = %v, want an error that is not ErrUnavailable", raw, err)
		}
		if _, won, err := s.Claim(ctx, "k"); err == nil || won || errors.Is(err, authing.ErrUnavailable) {
			t.Errorf("Claim of %q = %v, %v; want an error that is not ErrUnavailable", raw, won, err)
		}
	}
}

// TestStore_ConcurrentInstances: two clients (as two authing instances) ×
// 32 goroutines claim one key; exactly one wins. Repeated over keys.
func TestStore_ConcurrentInstances(t *testing.T) {
	t.Parallel()
	const perClient, rounds = 32, 10
	c1, c2 := openTest(t), openTest(t)
	prefix := testPrefix(t, c1)
	stores := []*redisstore.Store{
		redisstore.New(c1, redisstore.Options{Prefix: prefix}),
		redisstore.New(c2, redisstore.Options{Prefix: prefix}),
	}
	ctx := t.Context()
	for round := range rounds {
		key := fmt.Sprint("auth_store_", round)
		want := authing.StoreData{UserID: fmt.Sprint("user-", round)}
		if err := stores[round%2].Put(ctx, key, want, time.Minute); err != nil {
			t.Fatal(err)
		}
		var (
			start sync.WaitGroup
			wg    sync.WaitGroup
			wins  atomic.Int32
		)
		start.Add(1)
		for _, s := range stores {
			for range perClient {
				wg.Go(func() {
					start.Wait()
					d, won, err := s.Claim(ctx, key)
					if err != nil {
						t.Errorf("Claim: %v", err)
						return
					}
					if won {
						wins.Add(1)
						if d.UserID != want.UserID {
							t.Errorf("winner got %+v, want %+v", d, want)
						}
					}
				})
			}
		}
		start.Done()
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d Claims won, want exactly 1", round, n, 2*perClient)
		}
	}
}

func TestStore_Ping(t *testing.T) {
	t.Parallel()
	c := openTest(t)
	if err := redisstore.New(c, redisstore.Options{}).Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// silentServer accepts connections and never answers, like a hung Redis.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// unreachableAddr returns an address where nothing listens.
func unreachableAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestStore_Unavailable: with a Redis that refuses connections or never
// answers, every operation fails with ErrUnavailable, with the default
// timeouts of Open, well before 5 s (a bound against hanging, not a
// performance target).
func TestStore_Unavailable(t *testing.T) {
	t.Parallel()
	const bound = 5 * time.Second
	for name, addr := range map[string]string{
		"Refused": unreachableAddr(t),
		"Silent":  silentServer(t),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := redisstore.Open("redis://"+addr+"/0", redisstore.ClientOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			s := redisstore.New(c, redisstore.Options{})
			ops := []struct {
				name string
				call func(ctx context.Context) error
			}{
				{"Put", func(ctx context.Context) error { return s.Put(ctx, "k", authing.StoreData{}, time.Minute) }},
				{"Get", func(ctx context.Context) error { _, _, err := s.Get(ctx, "k"); return err }},
				{"Claim", func(ctx context.Context) error { _, _, err := s.Claim(ctx, "k"); return err }},
				{"Delete", func(ctx context.Context) error { return s.Delete(ctx, "k") }},
				{"Ping", s.Ping},
			}
			// All at once: each may take up to the client's timeouts.
			results := make(chan string, len(ops))
			for _, op := range ops {
				go func() {
					start := time.Now()
					err := op.call(context.Background())
					if !errors.Is(err, authing.ErrUnavailable) {
						results <- fmt.Sprintf("%s = %v, want an error matching authing.ErrUnavailable", op.name, err)
						return
					}
					t.Logf("%s failed after %v: %v", op.name, time.Since(start).Round(time.Millisecond), err)
					results <- ""
				}()
			}
			timeout := time.After(bound)
			for range ops {
				select {
				case msg := <-results:
					if msg != "" {
						t.Error(msg)
					}
				case <-timeout:
					t.Fatalf("an operation did not return within %v", bound)
				}
			}
		})
	}
}

// TestStore_CallerContext: on a silent Redis, the caller's deadline ends an
// operation before the client's own timeouts; a cancellation without a
// deadline is seen at the latest when ReadTimeout ends. Either way the error
// matches both the context error and ErrUnavailable.
func TestStore_CallerContext(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	open := func(readTimeout time.Duration) *redisstore.Store {
		c, err := redisstore.Open("redis://"+addr, redisstore.ClientOptions{ReadTimeout: readTimeout, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return redisstore.New(c, redisstore.Options{})
	}

	t.Run("DeadlineExceeded", func(t *testing.T) {
		t.Parallel()
		s := open(10 * time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := s.Claim(ctx, "k")
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, authing.ErrUnavailable) {
			t.Errorf("Claim = %v, want an error matching context.DeadlineExceeded and authing.ErrUnavailable", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("Claim returned after %v: the deadline did not end it (ReadTimeout is 10s)", elapsed)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		s := open(time.Second)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, _, err := s.Claim(ctx, "k")
		if !errors.Is(err, context.Canceled) || !errors.Is(err, authing.ErrUnavailable) {
			t.Errorf("Claim = %v, want an error matching context.Canceled and authing.ErrUnavailable", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("Claim returned after %v", elapsed)
		}
	})
}

func TestOpen(t *testing.T) {
	options := func(t *testing.T, url string, opts redisstore.ClientOptions) *redis.Options {
		t.Helper()
		c, err := redisstore.Open(url, opts)
		if err != nil {
			t.Fatalf("Open(%q): %v", url, err)
		}
		defer c.Close()
		return c.(*redis.Client).Options()
	}

	t.Run("Defaults", func(t *testing.T) {
		o := options(t, "redis://127.0.0.1:6379/2", redisstore.ClientOptions{})
		if o.Addr != "127.0.0.1:6379" || o.DB != 2 ||
			o.DialTimeout != 2*time.Second || o.ReadTimeout != time.Second || o.WriteTimeout != time.Second ||
			o.PoolTimeout != 2*time.Second || o.PoolSize != 10*runtime.GOMAXPROCS(0) || o.MaxRetries != 1 ||
			o.DialerRetries != 1 || !o.ContextTimeoutEnabled || o.TLSConfig != nil {
			t.Errorf("options = %+v", o)
		}
	})
	t.Run("URLOptions", func(t *testing.T) {
		o := options(t, "redis://h?read_timeout=3s&write_timeout=4s&dial_timeout=5s&pool_timeout=6s&pool_size=7&max_retries=2", redisstore.ClientOptions{})
		if o.Addr != "h:6379" || o.ReadTimeout != 3*time.Second || o.WriteTimeout != 4*time.Second || o.DialTimeout != 5*time.Second ||
			o.PoolTimeout != 6*time.Second || o.PoolSize != 7 || o.MaxRetries != 2 {
			t.Errorf("options = %+v", o)
		}
	})
	t.Run("ExplicitOverURL", func(t *testing.T) {
		o := options(t, "rediss://u:p@h:7000?read_timeout=3s&pool_size=7&max_retries=2", redisstore.ClientOptions{
			ReadTimeout: 300 * time.Millisecond, PoolSize: 3, MaxRetries: -1,
		})
		if o.ReadTimeout != 300*time.Millisecond || o.PoolSize != 3 || o.MaxRetries != 0 /* -1: none, normalised by go-redis */ ||
			o.Username != "u" || o.Password != "p" || o.TLSConfig == nil || o.TLSConfig.ServerName != "h" {
			t.Errorf("options = %+v", o)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			url  string
			opts redisstore.ClientOptions
		}{
			{"http://h:6379", redisstore.ClientOptions{}},
			{"redis://h/notanumber", redisstore.ClientOptions{}},
			{"redis://h?unknown_option=1", redisstore.ClientOptions{}},
			{"redis://h?read_timeout=0", redisstore.ClientOptions{}},  // go-redis: no timeout
			{"redis://h?dial_timeout=-1", redisstore.ClientOptions{}}, // go-redis: no timeout
			{"redis://h", redisstore.ClientOptions{ReadTimeout: -1}},
			{"redis://h", redisstore.ClientOptions{PoolTimeout: -1}},
			{"redis://h", redisstore.ClientOptions{PoolSize: -1}},
			{"redis://user:s3cret@h:notaport/0", redisstore.ClientOptions{}},
			{"redis://user:s3cret@h/0?bad=1", redisstore.ClientOptions{}},
			{"redis://user:s3cret@h/x", redisstore.ClientOptions{}},
			{"redis://user:s3cret@h%zz/0", redisstore.ClientOptions{}},
		} {
			c, err := redisstore.Open(tc.url, tc.opts)
			if err == nil {
				c.Close()
				t.Errorf("Open(%q, %+v) = nil error", tc.url, tc.opts)
				continue
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open(%q): the error shows the password: %v", tc.url, err)
			}
			if !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Errorf("Open(%q) = %v, want a redisstore: error", tc.url, err)
			}
		}
	})
}

var benchData = authing.StoreData{
	UserID:   "6f1c2b7e-0d4a-4c3e-9a51-2f0b8d7e6c11",
	AuthType: "password",
	Errors:   []authing.StoreError{{Code: "INVALID_CREDENTIALS", Detail: "Credentials are invalid"}},
}

func BenchmarkPut(b *testing.B) {
	c := openTest(b)
	s := redisstore.New(c, redisstore.Options{Prefix: testPrefix(b, c)})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := s.Put(ctx, fmt.Sprint("auth_store_", i&1023), benchData, time.Minute); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkClaim measures a Put followed by the Claim that takes it (two
// round trips).
func BenchmarkClaim(b *testing.B) {
	c := openTest(b)
	s := redisstore.New(c, redisstore.Options{Prefix: testPrefix(b, c)})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		k := fmt.Sprint("auth_store_", i&1023)
		if err := s.Put(ctx, k, benchData, time.Minute); err != nil {
			b.Fatal(err)
		}
		if _, won, err := s.Claim(ctx, k); !won || err != nil {
			b.Fatal(won, err)
		}
		i++
	}
}
