package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"
)

// soakReport is the outcome of --soak: session refreshes for a long time
// (or a large count) while the server's memory and goroutines are sampled.
type soakReport struct {
	Clients    int          `json:"clients"`
	Requests   int64        `json:"requests"`
	Errors     int64        `json:"errors"`
	FirstError string       `json:"first_error,omitempty"`
	Seconds    float64      `json:"seconds"`
	ReqPerSec  float64      `json:"requests_per_s"`
	P99        float64      `json:"p99_ms"`
	Idle       soakSample   `json:"idle_before"`
	Samples    []soakSample `json:"samples"`
	End        soakSample   `json:"end"`
	IdleAfter  soakSample   `json:"idle_after"`
	// Reference is the first sample at or after a fifth of the run: the
	// figures once warm, against which growth is measured.
	Reference soakSample `json:"reference"`
}

type soakSample struct {
	Seconds    float64 `json:"seconds"`
	Requests   int64   `json:"requests"`
	RSSMiB     float64 `json:"rss_mib"`
	HWMMiB     float64 `json:"peak_rss_mib"`
	Threads    int     `json:"threads"`
	FDs        int     `json:"open_files"`
	Goroutines int     `json:"goroutines"` // -1: the server exposes no metrics
}

func sampleOf(pid int, c *client, metricsPath string, elapsed time.Duration, requests int64) soakSample {
	ps, _ := readProc(pid)
	return soakSample{Seconds: elapsed.Seconds(), Requests: requests, RSSMiB: float64(ps.RSSKiB) / 1024,
		HWMMiB: float64(ps.HWMKiB) / 1024, Threads: ps.Threads, FDs: ps.FDs, Goroutines: goroutines(c, metricsPath)}
}

func runSoak(ctx context.Context, o *options, tg target, pid int, rep *report, stdout io.Writer, logf func(string, ...any)) error {
	if pid <= 0 {
		return errors.New("--soak needs the server's process: use --spawn, or --pid with --url")
	}
	probe := newClient(tg.base)
	defer probe.close()
	token, err := sessionToken(probe, tg)
	if err != nil {
		return fmt.Errorf("getting a session token: %w", err)
	}
	s := &soakReport{Clients: o.clients}
	time.Sleep(time.Second)
	s.Idle = sampleOf(pid, probe, o.metricsPath, 0, 0)
	logf("soak: refresh with %d clients for %s / %d requests, sampling every %s", o.clients, o.soak, o.soakRequests, o.sampleEvery)
	var mu sync.Mutex
	res, err := runLoad(ctx, tg.base, scenarioFor(scRefresh, tg, token), runOpts{
		clients: o.clients, duration: o.soak, count: o.soakRequests, warmup: 0, sampleEvery: o.sampleEvery,
		sample: func(elapsed time.Duration, ops int64) {
			smp := sampleOf(pid, probe, o.metricsPath, elapsed, ops)
			mu.Lock()
			s.Samples = append(s.Samples, smp)
			mu.Unlock()
			logf("soak: %5.0fs %9d requests  rss %.1f MiB  threads %d  files %d  goroutines %d",
				smp.Seconds, smp.Requests, smp.RSSMiB, smp.Threads, smp.FDs, smp.Goroutines)
		},
		onEnd: func() {
			s.End = sampleOf(pid, probe, o.metricsPath, 0, 0)
		},
	})
	if err != nil {
		return err
	}
	s.End.Seconds, s.End.Requests = res.elapsed.Seconds(), res.requests
	s.Requests, s.Errors, s.Seconds = res.requests, res.errors, res.elapsed.Seconds()
	s.ReqPerSec = float64(res.requests) / res.elapsed.Seconds()
	s.P99 = ms(res.h.quantile(0.99))
	if res.firstErr != nil {
		s.FirstError = res.firstErr.Error()
	}
	// The load clients are gone (runLoad closed their connections): the
	// server should be back to its idle goroutines and files.
	time.Sleep(3 * time.Second)
	s.IdleAfter = sampleOf(pid, probe, o.metricsPath, 0, 0)
	s.Reference = s.End
	for _, smp := range s.Samples {
		if smp.Seconds >= s.Seconds/5 {
			s.Reference = smp
			break
		}
	}
	rep.Soak = s
	rep.soakTargets()
	return rep.write(stdout, o.jsonOut)
}

func (rep *report) soakTargets() {
	s := rep.Soak
	note := ""
	if s.Errors > 0 {
		note = fmt.Sprintf("%d errors", s.Errors)
	}
	rssNote := note
	if s.Requests < 1_000_000 {
		rssNote = fmt.Sprintf("after %d refreshes, the target is after 1,000,000", s.Requests)
	}
	rep.Targets = append(rep.Targets, verdict{"soak: RSS at the end (MiB)", "≤ 60 MB (57.2 MiB)", s.End.RSSMiB,
		s.End.RSSMiB*1024*1024 <= 60e6 && s.Requests >= 1_000_000 && s.Errors == 0, rssNote})
	growth := ratio(s.End.RSSMiB, s.Reference.RSSMiB) - 1
	rep.Targets = append(rep.Targets, verdict{"soak: RSS growth after warm-up", "≤ 0.10", growth, growth <= 0.10,
		fmt.Sprintf("%.1f MiB at %.0fs → %.1f MiB at the end", s.Reference.RSSMiB, s.Reference.Seconds, s.End.RSSMiB)})
	if s.End.Goroutines >= 0 && s.Reference.Goroutines >= 0 {
		d := float64(s.End.Goroutines - s.Reference.Goroutines)
		rep.Targets = append(rep.Targets, verdict{"soak: goroutine growth after warm-up", "≤ 2", d, d <= 2,
			fmt.Sprintf("%d → %d; idle %d before, %d after", s.Reference.Goroutines, s.End.Goroutines, s.Idle.Goroutines, s.IdleAfter.Goroutines)})
	}
	d := float64(s.End.FDs - s.Reference.FDs)
	rep.Targets = append(rep.Targets, verdict{"soak: open-file growth after warm-up", "≤ 2", d, d <= 2,
		fmt.Sprintf("%d → %d; idle %d before, %d after (database connections opened under load stay pooled)",
			s.Reference.FDs, s.End.FDs, s.Idle.FDs, s.IdleAfter.FDs)})
}

func (s *soakReport) writeTable(w io.Writer) {
	fmt.Fprintf(w, "\nsoak: %d session refreshes in %.0fs with %d clients = %.0f/s, p99 %.3f ms, %d errors\n",
		s.Requests, s.Seconds, s.Clients, s.ReqPerSec, s.P99, s.Errors)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "when\tseconds\trequests\tRSS MiB\tpeak MiB\tthreads\tfiles\tgoroutines\t")
	row := func(name string, smp soakSample) {
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%.1f\t%.1f\t%d\t%d\t%s\t\n", name, smp.Seconds, smp.Requests, smp.RSSMiB,
			smp.HWMMiB, smp.Threads, smp.FDs, goroutineText(smp.Goroutines))
	}
	row("idle before", s.Idle)
	for _, smp := range s.Samples {
		row("", smp)
	}
	row("end", s.End)
	row("idle after", s.IdleAfter)
	tw.Flush()
}

func goroutineText(n int) string {
	if n < 0 {
		return "-"
	}
	return fmt.Sprint(n)
}
