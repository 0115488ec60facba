package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"authing.dev/authing/hashers"
)

// report is the whole output of a run.
type report struct {
	Machine machine      `json:"machine"`
	Config  reportConfig `json:"config"`
	Hash    *hashBoundM  `json:"hash,omitempty"`
	Results []*result    `json:"results,omitempty"`
	Soak    *soakReport  `json:"soak,omitempty"`
	Targets []verdict    `json:"targets"`
}

type machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	Go        string  `json:"go"`
	OS        string  `json:"os"`
	Kernel    string  `json:"kernel,omitempty"`
	LoadAvg1m float64 `json:"load_average_1m_at_start"`
	Started   string  `json:"started"`
}

type reportConfig struct {
	Clients     int    `json:"clients"`
	HashClients int    `json:"hash_clients"`
	Duration    string `json:"duration"`
	Count       int64  `json:"count,omitempty"`
	Warmup      string `json:"warmup"`
	Rounds      int    `json:"rounds"`
	Store       string `json:"store"`
	Users       string `json:"users"`
	Spawned     bool   `json:"spawned"`
	Baseline    string `json:"baseline_served"`
}

// hashBoundM is the measured hash bound: cores ÷ the time of one hash.
type hashBoundM struct {
	Algorithm   string  `json:"algorithm"`
	Params      string  `json:"params"`
	Millis      float64 `json:"ms_per_hash"`
	Cores       int     `json:"cores"`
	BoundPerSec float64 `json:"bound_per_s"`
	// ParallelPerSec is what the machine verifies with one hash per core
	// at once (memory bandwidth and caches are shared): the hash bound as
	// the hardware has it, for judging a gap to BoundPerSec.
	ParallelPerSec float64 `json:"parallel_per_s"`
}

// result is one scenario's figures. Latencies are of one operation (the
// three requests of the sign-in flow are one operation).
type result struct {
	Scenario       string  `json:"scenario"`
	Clients        int     `json:"clients"`
	Operations     int64   `json:"operations"`
	Requests       int64   `json:"requests"`
	Errors         int64   `json:"errors"`
	FirstError     string  `json:"first_error,omitempty"`
	Seconds        float64 `json:"seconds"`
	OpsPerSec      float64 `json:"ops_per_s"`
	ReqPerSec      float64 `json:"requests_per_s"`
	P50            float64 `json:"p50_ms"`
	P90            float64 `json:"p90_ms"`
	P99            float64 `json:"p99_ms"`
	Max            float64 `json:"max_ms"`
	Mean           float64 `json:"mean_ms"`
	Ratio          ratios  `json:"ratio_to_baseline"`
	HashBoundRatio float64 `json:"ratio_to_hash_bound,omitempty"`
	ServerCPUPerOp float64 `json:"server_cpu_us_per_op,omitempty"`
	ToolCPUPerOp   float64 `json:"tool_cpu_us_per_op,omitempty"`
	ServerRSSMiB   float64 `json:"server_rss_mib,omitempty"`
	// CPUShare is the CPU time of the tool and the server (and Redis)
	// over the machine's (cores × elapsed); OtherShare that of every other
	// process, steal time included: above 0.10 the run is noisy.
	CPUShare   float64 `json:"cpu_share"`
	OtherShare float64 `json:"other_cpu_share"`
	// CleanRounds counts the rounds where neither this run nor its paired
	// baseline was noisy; the median is taken over them when there are any.
	CleanRounds int `json:"clean_rounds"`
	// Baseline is the baseline run paired with this one (measured right
	// before it); the ratios are to it. Hash is the hash bound measured
	// right before a hashing scenario.
	Baseline *pairedBaseline `json:"paired_baseline,omitempty"`
	baseRun  *result
	Hash     *hashBoundM `json:"hash,omitempty"`
	// Rounds are the ratios (to the baseline, or to the hash bound) of
	// every round of --rounds; the figures above are of the median round.
	Rounds []float64 `json:"rounds_ratio,omitempty"`
}

type pairedBaseline struct {
	ReqPerSec float64 `json:"requests_per_s"`
	P50       float64 `json:"p50_ms"`
	P90       float64 `json:"p90_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

// pair records the baseline (and hash bound) measured with r and computes
// the ratios to them.
func (r *result) pair(b *result, hb *hashBoundM) {
	r.baseRun = b
	r.Baseline = &pairedBaseline{b.ReqPerSec, b.P50, b.P90, b.P99, b.Max}
	r.Ratio = ratios{ratio(r.ReqPerSec, b.ReqPerSec), ratio(r.P50, b.P50), ratio(r.P90, b.P90),
		ratio(r.P99, b.P99), ratio(r.Max, b.Max)}
	if hb != nil {
		r.Hash = hb
		r.HashBoundRatio = ratio(r.OpsPerSec, hb.BoundPerSec)
	}
}

func (r *result) clean() bool { return r.OtherShare <= maxOtherShare }

// pairClean reports whether neither r nor its paired baseline was noisy.
func (r *result) pairClean() bool { return r.clean() && (r.baseRun == nil || r.baseRun.clean()) }

// cleanOrAll returns the results that are clean, or all when none is.
func cleanOrAll(rs []*result, clean func(*result) bool) []*result {
	var c []*result
	for _, r := range rs {
		if clean(r) {
			c = append(c, r)
		}
	}
	if len(c) == 0 {
		return rs
	}
	return c
}

// key is what rounds are ranked by: the ratio to the hash bound for a
// hashing scenario, else the ratio of requests/s to the baseline.
func (r *result) key() float64 {
	if r.Hash != nil {
		return r.HashBoundRatio
	}
	return r.Ratio.ReqPerSec
}

// median returns the result of median key (the lower middle one).
func median(rs []*result, key func(*result) float64) *result {
	s := slices.Clone(rs)
	slices.SortStableFunc(s, func(a, b *result) int { return cmp.Compare(key(a), key(b)) })
	return s[(len(s)-1)/2]
}

type ratios struct {
	ReqPerSec float64 `json:"requests_per_s"`
	P50       float64 `json:"p50"`
	P90       float64 `json:"p90"`
	P99       float64 `json:"p99"`
	Max       float64 `json:"max"`
}

// verdict is one target and how the run compares with it.
type verdict struct {
	Target string  `json:"target"`
	Want   string  `json:"want"`
	Got    float64 `json:"got"`
	Met    bool    `json:"met"`
	Note   string  `json:"note,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func newResult(name string, clients int, r *runResult) *result {
	s := max(r.elapsed.Seconds(), 1e-9)
	res := &result{
		Scenario: name, Clients: clients, Operations: r.ops, Requests: r.requests, Errors: r.errors,
		Seconds: s, OpsPerSec: float64(r.ops) / s, ReqPerSec: float64(r.requests) / s,
		P50: ms(r.h.quantile(0.50)), P90: ms(r.h.quantile(0.90)), P99: ms(r.h.quantile(0.99)), Max: ms(r.h.max),
	}
	if r.h.n > 0 {
		res.Mean = ms(r.h.sum / time.Duration(r.h.n))
	}
	if r.firstErr != nil {
		res.FirstError = r.firstErr.Error()
	}
	return res
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// finish judges the targets.
func (rep *report) finish(o *options) {
	byName := map[string]*result{}
	for _, r := range rep.Results {
		byName[r.Scenario] = r
	}
	base := byName[scBaseline]
	if base != nil {
		base.Ratio = ratios{1, 1, 1, 1, 1}
	}
	clean := func(r *result) string {
		if r.Errors > 0 {
			return fmt.Sprintf("%d errors", r.Errors)
		}
		return ""
	}
	if r := byName[scRefresh]; r != nil && base != nil {
		rep.Targets = append(rep.Targets,
			verdict{"refresh requests/s ÷ baseline", "≥ 0.60", r.Ratio.ReqPerSec, r.Ratio.ReqPerSec >= 0.60 && r.Errors == 0, clean(r)})
		note := clean(r)
		if r.Clients != 64 {
			note = strings.TrimPrefix(note+fmt.Sprintf("; measured at %d clients, the target is at 64", r.Clients), "; ")
		}
		rep.Targets = append(rep.Targets,
			verdict{"refresh p99 ÷ baseline p99", "≤ 2.0", r.Ratio.P99, r.Ratio.P99 <= 2.0 && r.Errors == 0, note})
	}
	if r := byName[scAnonymous]; r != nil && base != nil {
		want, min := "≥ 0.50", 0.50
		if o.redis != "" {
			want, min = "≥ 0.35 (Redis store)", 0.35
		}
		rep.Targets = append(rep.Targets,
			verdict{"anonymous requests/s ÷ baseline", want, r.Ratio.ReqPerSec, r.Ratio.ReqPerSec >= min && r.Errors == 0, clean(r)})
	}
	if r := byName[scSignIn]; r != nil && r.Hash != nil {
		rep.Targets = append(rep.Targets,
			verdict{"sign-in flows/s ÷ hash bound", "≥ 0.97", r.HashBoundRatio, r.HashBoundRatio >= 0.97 && r.Errors == 0, clean(r)})
	}
}

func (rep *report) write(stdout io.Writer, jsonOut string) error {
	if jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if jsonOut == "-" {
			_, err = stdout.Write(b)
			return err
		}
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	rep.writeTable(stdout)
	return nil
}

func (rep *report) writeTable(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %s, %d cores, %s %s, load %.2f at start\n", m.CPU, m.Cores, m.Go, m.OS, m.LoadAvg1m)
	c := rep.Config
	fmt.Fprintf(w, "server: store %s, users %s; %d clients (%d for hashing scenarios); baseline served %s; median of %d round(s), each scenario paired with a baseline run just before it\n",
		c.Store, c.Users, c.Clients, c.HashClients, c.Baseline, c.Rounds)
	if h := rep.Hash; h != nil {
		fmt.Fprintf(w, "hash bound: %s %s = %.1f ms per hash → %d cores ÷ %.1f ms = %.1f/s (%d at once: %.1f/s)\n",
			h.Algorithm, h.Params, h.Millis, h.Cores, h.Millis, h.BoundPerSec, h.Cores, h.ParallelPerSec)
	}
	if len(rep.Results) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "scenario\tclients\tops/s\treq/s (×base)\tp50 ms (×base)\tp90 ms (×base)\tp99 ms (×base)\tmax ms (×base)\terrors\tsrv µs/op\ttool µs/op\tcpu ours/other\tpaired base req/s, p99\t")
		for _, r := range rep.Results {
			paired := "-"
			if b := r.Baseline; b != nil {
				paired = fmt.Sprintf("%.0f, %.3f", b.ReqPerSec, b.P99)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f (%.2f)\t%.3f (%.2f)\t%.3f (%.2f)\t%.3f (%.2f)\t%.2f (%.2f)\t%d\t%s\t%s\t%s\t%s\t\n",
				r.Scenario, r.Clients, r.OpsPerSec, r.ReqPerSec, r.Ratio.ReqPerSec, r.P50, r.Ratio.P50,
				r.P90, r.Ratio.P90, r.P99, r.Ratio.P99, r.Max, r.Ratio.Max, r.Errors,
				optional(r.ServerCPUPerOp), optional(r.ToolCPUPerOp), percent(r.CPUShare)+"/"+percent(r.OtherShare), paired)
		}
		tw.Flush()
		for _, r := range rep.Results {
			if r.Hash != nil {
				fmt.Fprintf(w, "%s: %.1f ops/s = %.3f of the hash bound (%.1f ms per hash → %.1f/s, measured right before and after; %d hashes at once: %.1f/s, so %.3f of that)\n",
					r.Scenario, r.OpsPerSec, r.HashBoundRatio, r.Hash.Millis, r.Hash.BoundPerSec,
					r.Hash.Cores, r.Hash.ParallelPerSec, ratio(r.OpsPerSec, r.Hash.ParallelPerSec))
			}
			if len(r.Rounds) > 1 {
				fmt.Fprintf(w, "%s: ratio of each round %s; %d clean; the median clean round is shown\n",
					r.Scenario, roundList(r.Rounds), r.CleanRounds)
			}
		}
	}
	if s := rep.Soak; s != nil {
		s.writeTable(w)
	}
	if len(rep.Targets) > 0 {
		fmt.Fprintln(w)
		for _, v := range rep.Targets {
			mark := "MET "
			if !v.Met {
				mark = "MISS"
			}
			line := fmt.Sprintf("%s  %-34s %-22s got %.3f", mark, v.Target, v.Want, v.Got)
			if v.Note != "" {
				line += " (" + v.Note + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}

func roundList(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%.3f", v)
	}
	return strings.Join(parts, " ")
}

func percent(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

func optional(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func describeMachine() machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Started: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscanf(string(b), "%f", &m.LoadAvg1m)
	}
	return m
}

// measureHash times one verification with the named hasher at its default
// parameters (those of the passwords `authing users create` writes): the
// median of seven, after one unrecorded.
func measureHash(name string) (*hashBoundM, error) {
	h, err := hashers.Lookup(name)
	if err != nil {
		return nil, err
	}
	enc, err := h.Encode("bench-password-1")
	if err != nil {
		return nil, err
	}
	var times []time.Duration
	for i := range 8 {
		t0 := time.Now()
		ok, err := h.Verify("bench-password-1", enc)
		d := time.Since(t0)
		if err != nil || !ok {
			return nil, fmt.Errorf("hash bound: %s does not verify its own hash: %v", name, err)
		}
		if i > 0 {
			times = append(times, d)
		}
	}
	slices.Sort(times)
	med := times[len(times)/2]
	parts := strings.Split(enc, "$")
	params := strings.Join(parts[1:max(len(parts)-2, 1)], "$")
	cores := runtime.NumCPU()
	// One hash per core at once, four each (after one each unrecorded,
	// for the heap to grow to its size).
	atOnce := func(each int) time.Duration {
		var wg sync.WaitGroup
		t0 := time.Now()
		for range cores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					h.Verify("bench-password-1", enc)
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	atOnce(1)
	parallel := float64(4*cores) / atOnce(4).Seconds()
	return &hashBoundM{Algorithm: h.Algorithm(), Params: params, Millis: ms(med), Cores: cores,
		BoundPerSec: float64(cores) / med.Seconds(), ParallelPerSec: parallel}, nil
}

// averageWith returns the mean of two measurements of the hash bound.
func (h *hashBoundM) averageWith(o *hashBoundM) *hashBoundM {
	m := *h
	m.Millis = (h.Millis + o.Millis) / 2
	m.BoundPerSec = float64(m.Cores) / (m.Millis / 1000)
	m.ParallelPerSec = (h.ParallelPerSec + o.ParallelPerSec) / 2
	return &m
}

// baselineBody is the small JSON answer of the baseline handler.
var baselineBody = []byte(`{"status":"ok"}`)

// baselineHandler answers every request with a small JSON body.
func baselineHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(baselineBody)
}

// startBaseline serves the baseline handler on a loopback port of this
// process and returns its base URL.
func startBaseline() (string, int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(baselineHandler)}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), 0, func() { srv.Close() }, nil
}

// serveBaseline is --serve-baseline: the baseline in a process of its own,
// which prints its address and serves until its standard input closes.
func serveBaseline(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(baselineHandler)}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintln(stdout, "http://"+ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// spawnBaseline runs this tool with --serve-baseline as a child process, so
// that the baseline server, like the server under test, has a process and
// a Go runtime of its own.
func spawnBaseline() (string, int, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(exe, "--serve-baseline")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", 0, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		stdin.Close()
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", 0, nil, fmt.Errorf("baseline process: %w", err)
	}
	return strings.TrimSpace(line), cmd.Process.Pid, stop, nil
}
