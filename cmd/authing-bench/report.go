package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
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
}

// hashBoundM is the measured hash bound: cores ÷ the time of one hash.
type hashBoundM struct {
	Algorithm   string  `json:"algorithm"`
	Params      string  `json:"params"`
	Millis      float64 `json:"ms_per_hash"`
	Cores       int     `json:"cores"`
	BoundPerSec float64 `json:"bound_per_s"`
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
	// CPUShare is the CPU time of the tool and the server over the
	// machine's (cores × elapsed); well under 1 means other load.
	CPUShare float64 `json:"cpu_share,omitempty"`
	// Rounds are the operations/s of every round (--rounds); the figures
	// above are of the best.
	Rounds []float64 `json:"rounds_ops_per_s"`
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
	s := r.elapsed.Seconds()
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

// finish computes the ratios and judges the targets.
func (rep *report) finish(o *options) {
	var base *result
	for _, r := range rep.Results {
		if r.Scenario == scBaseline {
			base = r
		}
	}
	byName := map[string]*result{}
	for _, r := range rep.Results {
		byName[r.Scenario] = r
		if base != nil {
			r.Ratio = ratios{ratio(r.ReqPerSec, base.ReqPerSec), ratio(r.P50, base.P50), ratio(r.P90, base.P90),
				ratio(r.P99, base.P99), ratio(r.Max, base.Max)}
		}
		if hashBound(r.Scenario) && rep.Hash != nil {
			r.HashBoundRatio = ratio(r.OpsPerSec, rep.Hash.BoundPerSec)
		}
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
	if r := byName[scSignIn]; r != nil && rep.Hash != nil {
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
	fmt.Fprintf(w, "server: store %s, users %s; %d clients (%d for hashing scenarios); best of %d round(s)\n",
		c.Store, c.Users, c.Clients, c.HashClients, c.Rounds)
	if h := rep.Hash; h != nil {
		fmt.Fprintf(w, "hash bound: %s %s = %.1f ms per hash → %d cores ÷ %.1f ms = %.1f/s\n",
			h.Algorithm, h.Params, h.Millis, h.Cores, h.Millis, h.BoundPerSec)
	}
	if len(rep.Results) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "scenario\tclients\tops/s\treq/s (×base)\tp50 ms (×base)\tp90 ms (×base)\tp99 ms (×base)\tmax ms (×base)\terrors\tsrv µs/op\ttool µs/op\tcpu\t")
		for _, r := range rep.Results {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f (%.2f)\t%.3f (%.2f)\t%.3f (%.2f)\t%.3f (%.2f)\t%.2f (%.2f)\t%d\t%s\t%s\t%s\t\n",
				r.Scenario, r.Clients, r.OpsPerSec, r.ReqPerSec, r.Ratio.ReqPerSec, r.P50, r.Ratio.P50,
				r.P90, r.Ratio.P90, r.P99, r.Ratio.P99, r.Max, r.Ratio.Max, r.Errors,
				optional(r.ServerCPUPerOp), optional(r.ToolCPUPerOp), percent(r.CPUShare))
		}
		tw.Flush()
		for _, r := range rep.Results {
			if r.HashBoundRatio > 0 {
				fmt.Fprintf(w, "%s: %.1f ops/s = %.3f of the hash bound\n", r.Scenario, r.OpsPerSec, r.HashBoundRatio)
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

func percent(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

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
	return &hashBoundM{Algorithm: h.Algorithm(), Params: params, Millis: ms(med), Cores: cores,
		BoundPerSec: float64(cores) / med.Seconds()}, nil
}

// baselineBody is the small JSON answer of the baseline handler.
var baselineBody = []byte(`{"status":"ok"}`)

// startBaseline serves the baseline handler on a loopback port of this
// process and returns its base URL.
func startBaseline() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(baselineBody)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
