package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// client is one simulated client: its own connection (HTTP/1.1 keep-alive,
// redirects not followed) and its own latency histogram. The baseline and
// every scenario use this same code.
type client struct {
	hc   *http.Client
	base string // scheme://host:port
	h    hist
	// state of a scenario, filled by its setup
	token string
}

// loopbackDialer refuses to connect anywhere but a loopback address, the
// second guard after checkLoopback: a name cannot resolve elsewhere later.
var loopbackDialer = &net.Dialer{
	Timeout: 5 * time.Second,
	Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
		}
		return nil
	},
}

func newClient(base string) *client {
	tr := &http.Transport{
		DialContext:         loopbackDialer.DialContext,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		IdleConnTimeout:     time.Minute,
	}
	return &client{
		base: base,
		hc: &http.Client{
			Transport:     tr,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// checkLoopback refuses a target that is not on this machine's loopback
// interface: every address the host resolves to must be a loopback one.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		ips, err = net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("--url %q: cannot resolve %s", raw, host)
		}
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("--url %q: %s is not a loopback address; authing-bench only loads servers on this machine", raw, ip)
		}
	}
	return nil
}

// errStatus is an answer with an unexpected status.
type errStatus struct {
	what string
	got  int
	body string
}

func (e *errStatus) Error() string {
	return fmt.Sprintf("%s: status %d: %.200s", e.what, e.got, e.body)
}

// do sends req and checks the status; the body is read to the end (so that
// the connection is reused) and returned when keep is set.
func (c *client) do(req *http.Request, want int, keep bool) (*http.Response, []byte, error) {
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	var body []byte
	if keep || res.StatusCode != want {
		body, err = io.ReadAll(res.Body)
	} else {
		_, err = io.Copy(io.Discard, res.Body)
	}
	res.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode != want {
		return nil, nil, &errStatus{req.Method + " " + req.URL.Path, res.StatusCode, string(body)}
	}
	return res, body, nil
}

func (c *client) get(path, bearer string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req
}

func (c *client) post(path, bearer, contentType, body string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// scenario is one kind of load. An operation is one iteration of a client
// (one request, or the three requests of the sign-in flow); its latency is
// what the histogram records.
type scenario struct {
	name string
	// setup prepares a client before the clock starts (e.g. a session token).
	setup func(c *client) error
	// op runs one operation and returns how many HTTP requests it made.
	op func(c *client) (int, error)
}

// runOpts bound a run: by time, by count of operations, or both (whichever
// comes first); warmup runs before, unrecorded.
type runOpts struct {
	clients  int
	duration time.Duration
	count    int64
	warmup   time.Duration
	// sample, when set, is called every sampleEvery while the run lasts.
	sample      func(elapsed time.Duration, ops int64)
	sampleEvery time.Duration
	// onStart and onEnd, when set, are called right before the recorded
	// part starts and right after it ends (CPU and memory snapshots).
	onStart, onEnd func()
}

// runResult is what one run measured.
type runResult struct {
	ops, requests, errors int64
	firstErr              error
	elapsed               time.Duration
	h                     hist
}

// runLoad drives the scenario with o.clients concurrent clients.
func runLoad(ctx context.Context, base string, sc scenario, o runOpts) (*runResult, error) {
	clients := make([]*client, o.clients)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	// Setup, a few clients at a time (setups may sign in, which hashes).
	var g sync.WaitGroup
	setupErr := make([]error, o.clients)
	sem := make(chan struct{}, 4)
	for i := range clients {
		clients[i] = newClient(base)
		if sc.setup == nil {
			continue
		}
		g.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer g.Done()
			defer func() { <-sem }()
			setupErr[i] = sc.setup(clients[i])
		}(i)
	}
	g.Wait()
	if err := errors.Join(setupErr...); err != nil {
		return nil, fmt.Errorf("%s: setup: %w", sc.name, err)
	}

	return measure(ctx, clients, sc, o), nil
}

// measure runs the clients without a pause from the warm-up into the
// measured window: an operation counts (in the rate, the latencies and the
// errors) when it completes inside the window, so that operations cut by
// either edge of the window balance out and long operations (a password
// hash) do not bias the rate. With a count, the window ends at the
// completion that reaches it.
func measure(ctx context.Context, clients []*client, sc scenario, o runOpts) *runResult {
	start := time.Now().Add(o.warmup)
	var end time.Time
	if o.duration > 0 {
		end = start.Add(o.duration)
	}
	var (
		g         sync.WaitGroup
		ops       atomic.Int64
		requests  atomic.Int64
		errs      atomic.Int64
		remaining atomic.Int64
		last      atomic.Int64 // UnixNano of the latest counted completion
		errOnce   sync.Once
		firstErr  error
		endOnce   sync.Once
	)
	remaining.Store(o.count)
	counted := o.count > 0
	onEnd := func() {
		endOnce.Do(func() {
			if o.onEnd != nil {
				o.onEnd()
			}
		})
	}
	// The clock: snapshots at the edges of the window, and the samples.
	stop := make(chan struct{})
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		select {
		case <-time.After(time.Until(start)):
		case <-stop:
			return
		}
		if o.onStart != nil {
			o.onStart()
		}
		var tick <-chan time.Time
		if o.sample != nil && o.sampleEvery > 0 {
			t := time.NewTicker(o.sampleEvery)
			defer t.Stop()
			tick = t.C
		}
		var endc <-chan time.Time
		if !end.IsZero() {
			endc = time.After(time.Until(end))
		}
		for {
			select {
			case <-stop:
				return
			case <-endc:
				onEnd()
				endc = nil
			case <-tick:
				o.sample(time.Since(start), ops.Load())
			}
		}
	}()
	for _, c := range clients {
		g.Add(1)
		go func() {
			defer g.Done()
			for ctx.Err() == nil {
				if !end.IsZero() && !time.Now().Before(end) {
					return
				}
				if counted && remaining.Load() <= 0 {
					return
				}
				t0 := time.Now()
				n, err := sc.op(c)
				t1 := time.Now()
				if t1.Before(start) || (!end.IsZero() && t1.After(end)) {
					continue // warm-up, or past the window
				}
				if counted && remaining.Add(-1) < 0 {
					return
				}
				requests.Add(int64(n))
				ops.Add(1)
				for v := last.Load(); t1.UnixNano() > v && !last.CompareAndSwap(v, t1.UnixNano()); v = last.Load() {
				}
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { firstErr = err })
				} else {
					c.h.add(t1.Sub(t0))
				}
			}
		}()
	}
	g.Wait()
	onEnd()
	close(stop)
	<-clockDone
	res := &runResult{ops: ops.Load(), requests: requests.Load(), errors: errs.Load(), firstErr: firstErr}
	switch {
	case !end.IsZero() && (!counted || remaining.Load() > 0):
		res.elapsed = end.Sub(start)
	case last.Load() > 0:
		res.elapsed = time.Unix(0, last.Load()).Sub(start)
	}
	for _, c := range clients {
		res.h.merge(&c.h)
	}
	return res
}
