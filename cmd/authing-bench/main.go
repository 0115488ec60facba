// Command authing-bench drives an authing server on this machine's loopback
// interface with concurrent clients and reports, per scenario, requests per
// second and latency percentiles, each also as a ratio to a baseline
// measured in the same run: a minimal net/http handler answering a small
// JSON body, served by this tool on loopback and driven by the same client
// code. By default the tool serves it from a child process of its own, as
// the server under test runs in a process of its own; --baseline in-process
// serves it from the tool's process, where client and server share one Go
// runtime (a higher baseline that no separate server reaches). Each
// scenario runs right after a baseline run of its own, so that both see the
// same background load; the "cpu" column shows how much of the machine the
// tool and the server had, and how much other processes took (rounds where
// they took over 10 % are set aside when there are clean ones). It judges
// the results against the performance targets of bench/README.md.
//
//	authing-bench --spawn [--bin ./authing] [--redis redis://127.0.0.1:6379/0] [--rounds 5]
//	authing-bench --url http://127.0.0.1:8080 --pid PID --username U --password P
//	authing-bench --spawn --soak 10m
//
// Scenarios (--scenarios, comma-separated; all by default):
//
//	baseline   GET / of the tool's own minimal handler
//	anonymous  GET /auth/ without a token (a store is created)
//	signin     GET /auth/ → POST /password/ → GET /auth/ (one operation)
//	refresh    GET /auth/ with a session token
//	token      POST /password/token/
//	logout     POST /logout/ with a store token
//
// --spawn builds `authing serve` from this module (or runs --bin) on a
// random loopback port with a temporary SQLite database and the memory store
// (or --redis), seeding the user through `authing users create`. Targets
// other than loopback addresses are refused.
//
// --soak runs only the refresh scenario, for --soak (a duration) or
// --soak-requests (a count), sampling the server's resident memory, threads,
// open files and (when it serves Prometheus metrics) goroutines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "authing-bench:", err)
		os.Exit(1)
	}
}

// options are the flags.
type options struct {
	url, bin, redis, prefix, cookie string
	spawn                           bool
	username, password              string
	scenarios                       []string
	clients, hashClients, rounds    int
	duration, warmup                time.Duration
	count                           int64
	hasher                          string
	jsonOut                         string
	soak                            time.Duration
	soakRequests                    int64
	sampleEvery                     time.Duration
	metricsPath                     string
	pid                             int
	baseline                        string
	serveBaseline                   bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("authing-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "base URL of a running authing on loopback (http://127.0.0.1:8080)")
	fs.BoolVar(&o.spawn, "spawn", false, "build and start `authing serve` with a temporary SQLite database")
	fs.StringVar(&o.bin, "bin", "", "with --spawn: the authing binary (default: go build authing.dev/authing/cmd/authing)")
	fs.StringVar(&o.redis, "redis", "", "with --spawn: Redis URL for the store (default: the memory store)")
	fs.StringVar(&o.prefix, "prefix", "/api/v1/authing", "API prefix of the server")
	fs.StringVar(&o.cookie, "cookie-name", "bazis_auth", "cookie that carries the store token (BAZIS_AUTH_COOKIE_NAME)")
	fs.StringVar(&o.username, "username", "bench", "user that signs in (seeded with --spawn)")
	fs.StringVar(&o.password, "password", "bench-password-1", "password of --username")
	sc := fs.String("scenarios", strings.Join(allScenarios, ","), "scenarios to run, comma-separated (baseline always runs)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients of the request scenarios")
	fs.IntVar(&o.hashClients, "hash-clients", 2*runtime.NumCPU(), "concurrent clients of the scenarios that hash a password (signin, token)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each scenario (0: until --count)")
	fs.Int64Var(&o.count, "count", 0, "operations of each scenario (0: until --duration)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unrecorded load before each scenario")
	fs.IntVar(&o.rounds, "rounds", 1, "repeat every scenario (each paired with a baseline run just before it) and report the round of median ratio")
	fs.StringVar(&o.hasher, "hasher", "argon2", "password hasher of the server, at its default parameters, for the hash bound")
	fs.StringVar(&o.jsonOut, "json", "", "also write the report as JSON to this file (- for standard output, instead of the table)")
	fs.DurationVar(&o.soak, "soak", 0, "run only a refresh soak of this length, sampling the server's memory")
	fs.Int64Var(&o.soakRequests, "soak-requests", 0, "run only a refresh soak of this many requests (with --soak: whichever ends first)")
	fs.DurationVar(&o.sampleEvery, "sample", 10*time.Second, "sampling period of the soak")
	fs.StringVar(&o.metricsPath, "metrics-path", "/metrics", "Prometheus metrics path of the server, for go_goroutines (empty: none)")
	fs.IntVar(&o.pid, "pid", 0, "with --url: process id of the server, for its memory and CPU figures")
	fs.StringVar(&o.baseline, "baseline", "process", "where the tool serves the baseline: process (a child process of its own, as the server under test runs) or in-process (the tool's own process: client and server share one Go runtime, which no separate server has)")
	fs.BoolVar(&o.serveBaseline, "serve-baseline", false, "internal: serve the baseline handler and print its address")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.serveBaseline {
		return o, nil
	}
	if o.baseline != "process" && o.baseline != "in-process" {
		return nil, fmt.Errorf("--baseline %q: want process or in-process", o.baseline)
	}
	if o.spawn == (o.url != "") {
		return nil, errors.New("give exactly one of --spawn and --url")
	}
	if o.url != "" {
		if err := checkLoopback(o.url); err != nil {
			return nil, err
		}
		o.url = strings.TrimRight(o.url, "/")
	}
	if o.redis != "" && !o.spawn {
		return nil, errors.New("--redis goes with --spawn (a running server has its own store)")
	}
	if o.clients < 1 || o.hashClients < 1 || o.rounds < 1 {
		return nil, errors.New("--clients, --hash-clients and --rounds must be at least 1")
	}
	if o.duration <= 0 && o.count <= 0 {
		return nil, errors.New("give --duration or --count")
	}
	for _, s := range strings.Split(*sc, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(allScenarios, ", "))
		}
		if !slices.Contains(o.scenarios, s) {
			o.scenarios = append(o.scenarios, s)
		}
	}
	if !slices.Contains(o.scenarios, scBaseline) {
		o.scenarios = append([]string{scBaseline}, o.scenarios...)
	}
	o.prefix = "/" + strings.Trim(o.prefix, "/")
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.serveBaseline {
		return serveBaseline(ctx, stdout)
	}
	logf := func(f string, a ...any) { fmt.Fprintf(stderr, "authing-bench: "+f+"\n", a...) }
	rep := &report{Machine: describeMachine(), Config: reportConfig{
		Clients: o.clients, HashClients: o.hashClients, Duration: o.duration.String(), Count: o.count,
		Warmup: o.warmup.String(), Rounds: o.rounds, Store: "memory", Users: "sqlite", Spawned: o.spawn,
		Baseline: "in the tool's process",
	}}
	if o.redis != "" {
		rep.Config.Store = "redis"
	}
	if !o.spawn {
		rep.Config.Store, rep.Config.Users = "unknown (--url)", "unknown (--url)"
	}

	tg := target{base: o.url, prefix: o.prefix, cookie: o.cookie, username: o.username, password: o.password}
	pid := o.pid
	if o.spawn {
		srv, err := spawn(ctx, spawnOpts{bin: o.bin, redisURL: o.redis, username: o.username, password: o.password, logf: logf})
		if err != nil {
			return err
		}
		defer srv.stop()
		tg.base, pid = srv.url, srv.pid()
		logf("authing serve (pid %d) on %s", pid, srv.url)
	}
	if o.soak > 0 || o.soakRequests > 0 {
		return runSoak(ctx, o, tg, pid, rep, stdout, logf)
	}

	startBase := startBaseline
	if o.baseline == "process" {
		startBase = spawnBaseline
		rep.Config.Baseline = "by a child process"
	}
	base, basePID, closeBase, err := startBase()
	if err != nil {
		return err
	}
	defer closeBase()

	// Redis serves the scenarios: its CPU is theirs, not other load.
	var helpers []int
	if o.redis != "" {
		helpers = findProcs("redis-server")
	}

	// Tokens shared by the clients of refresh and logout.
	setupClient := newClient(tg.base)
	defer setupClient.close()
	shared := map[string]string{}
	if slices.Contains(o.scenarios, scRefresh) {
		if shared[scRefresh], err = sessionToken(setupClient, tg); err != nil {
			return fmt.Errorf("getting a session token for refresh: %w", err)
		}
	}
	if slices.Contains(o.scenarios, scLogout) {
		if shared[scLogout], err = storeToken(setupClient, tg); err != nil {
			return fmt.Errorf("getting a store token for logout: %w", err)
		}
	}

	// Each scenario runs right after a baseline run of its own (and a
	// hash-bound one right after a measurement of the hash), so that both
	// see the same background load; with --rounds the pairs are repeated
	// and the round with the median ratio is reported.
	pairs := map[string][]*result{}
	var baselines []*result
	for round := 1; round <= o.rounds; round++ {
		if o.rounds > 1 {
			logf("round %d of %d", round, o.rounds)
		}
		for _, name := range o.scenarios {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if name == scBaseline && len(o.scenarios) > 1 {
				continue // measured before each scenario
			}
			b, err := runScenario(ctx, o, tg, scBaseline, base, "", basePID, nil, logf)
			if err != nil {
				return err
			}
			baselines = append(baselines, b)
			if name == scBaseline {
				continue
			}
			var hb *hashBoundM
			if hashBound(name) {
				if hb, err = measureHash(o.hasher); err != nil {
					return err
				}
				logf("hash bound: %s %s takes %.1f ms → %d cores ÷ %.1f ms = %.1f/s (%d at once: %.1f/s)",
					hb.Algorithm, hb.Params, hb.Millis, hb.Cores, hb.Millis, hb.BoundPerSec, hb.Cores, hb.ParallelPerSec)
			}
			r, err := runScenario(ctx, o, tg, name, base, shared[name], pid, helpers, logf)
			if err != nil {
				return err
			}
			if hb != nil {
				// The speed of a virtual machine drifts: the bound is the
				// mean of a measurement before and one after the run.
				after, err := measureHash(o.hasher)
				if err != nil {
					return err
				}
				hb = hb.averageWith(after)
				logf("hash bound after the run: %.1f ms per hash; mean %.1f ms → %.1f/s", after.Millis, hb.Millis, hb.BoundPerSec)
			}
			r.pair(b, hb)
			pairs[name] = append(pairs[name], r)
		}
	}
	rep.Results = append(rep.Results, median(cleanOrAll(baselines, (*result).clean), func(r *result) float64 { return r.ReqPerSec }))
	for _, name := range o.scenarios {
		if rs := pairs[name]; len(rs) > 0 {
			clean := cleanOrAll(rs, (*result).pairClean)
			m := median(clean, (*result).key)
			m.CleanRounds = 0
			for _, r := range rs {
				m.Rounds = append(m.Rounds, r.key())
				if r.pairClean() {
					m.CleanRounds++
				}
			}
			rep.Results = append(rep.Results, m)
			if m.Hash != nil && (rep.Hash == nil || name == scSignIn) {
				rep.Hash = m.Hash
			}
		}
	}
	rep.finish(o)
	return rep.write(stdout, o.jsonOut)
}

// runScenario runs one scenario once and measures it. pid is the server's
// process (0: unknown, or the tool itself); helpers are other processes
// that serve it (Redis), whose CPU is the scenario's and not "other load".
func runScenario(ctx context.Context, o *options, tg target, name, base, shared string, pid int, helpers []int, logf func(string, ...any)) (*result, error) {
	clients := o.clients
	if hashBound(name) {
		clients = o.hashClients
	}
	url := tg.base
	if name == scBaseline {
		url = base
	}
	logf("%s: %d clients, %s", name, clients, bounds(o))
	var before, after procStats
	var selfBefore, selfAfter, sysBefore, sysAfter, helpBefore, helpAfter time.Duration
	res, err := runLoad(ctx, url, scenarioFor(name, tg, shared), runOpts{
		clients: clients, duration: o.duration, count: o.count, warmup: o.warmup,
		onStart: func() {
			sysBefore, helpBefore = systemCPU(), procsCPU(helpers)
			if pid > 0 {
				before, _ = readProc(pid)
			}
			selfBefore = selfCPU()
		},
		onEnd: func() {
			selfAfter = selfCPU()
			if pid > 0 {
				after, _ = readProc(pid)
			}
			sysAfter, helpAfter = systemCPU(), procsCPU(helpers)
		},
	})
	if err != nil {
		return nil, err
	}
	r := newResult(name, clients, res)
	tool := selfAfter - selfBefore
	r.ToolCPUPerOp = perOp(tool, res.ops)
	used := tool + helpAfter - helpBefore
	if pid > 0 {
		srv := after.CPU - before.CPU
		r.ServerCPUPerOp = perOp(srv, res.ops)
		r.ServerRSSMiB = float64(after.RSSKiB) / 1024
		used += srv
	}
	capacity := res.elapsed.Seconds() * float64(runtime.NumCPU())
	r.CPUShare = used.Seconds() / capacity
	if sysAfter > sysBefore {
		r.OtherShare = max(0, (sysAfter-sysBefore-used).Seconds()/capacity)
		if r.OtherShare > maxOtherShare {
			logf("%s: other processes used %.0f%% of the machine during the run: a noisy round", name, 100*r.OtherShare)
		}
	}
	if res.errors > 0 {
		logf("%s: %d errors; first: %v", name, res.errors, res.firstErr)
	}
	return r, nil
}

// maxOtherShare is the most CPU that other processes may take during a
// run for the run to count as clean.
const maxOtherShare = 0.10

func bounds(o *options) string {
	switch {
	case o.duration > 0 && o.count > 0:
		return fmt.Sprintf("%s or %d operations (after %s warm-up)", o.duration, o.count, o.warmup)
	case o.count > 0:
		return fmt.Sprintf("%d operations (after %s warm-up)", o.count, o.warmup)
	}
	return fmt.Sprintf("%s (after %s warm-up)", o.duration, o.warmup)
}

func perOp(d time.Duration, ops int64) float64 {
	if ops <= 0 || d <= 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(ops)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
