package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

// TestMain lets the test binary stand in for the tool as the baseline's
// child process (--baseline process runs os.Executable).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "--serve-baseline" {
		if err := serveBaseline(context.Background(), os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCheckLoopback(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.2:8080/", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"http://10.0.0.1:8080", false},
		{"http://8.8.8.8", false},
		{"http://[2001:db8::1]:80", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
	} {
		err := checkLoopback(c.url)
		if (err == nil) != c.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok = %v", c.url, err, c.ok)
		}
	}
	if _, err := parseFlags([]string{"--url", "http://192.0.2.1:80"}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("--url of another machine: %v; want a refusal", err)
	}
}

func TestHist(t *testing.T) {
	var h hist
	vals := make([]time.Duration, 100_000)
	for i := range vals {
		vals[i] = time.Duration(rand.Int64N(int64(50 * time.Millisecond)))
		h.add(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		want := vals[int(q*float64(len(vals)))-1]
		got := h.quantile(q)
		if d := float64(got-want) / float64(want); d > 0.01 || d < -0.01 {
			t.Errorf("quantile(%v) = %v, want %v ± 1%%", q, got, want)
		}
	}
	if h.max != vals[len(vals)-1] || h.n != uint64(len(vals)) {
		t.Errorf("max %v n %d", h.max, h.n)
	}
	for _, v := range []uint64{0, 1, 255, 256, 257, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := bucketOf(v)
		if mid := bucketValue(i); bucketOf(mid) != i {
			t.Errorf("bucket %d of %d: its middle %d is in bucket %d", i, v, mid, bucketOf(mid))
		}
	}
}

// startAuthing serves authing in this process with a cheap password hash,
// as a stand-in for `authing serve`.
func startAuthing(t *testing.T) string {
	users := &authingtest.Users{}
	hs := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	h, _ := hs.Encode("pw-1")
	if _, err := users.CreateUser(context.Background(), authing.NewUser{Username: "u", PasswordHash: h, IsActive: true}); err != nil {
		t.Fatal(err)
	}
	store := memstore.New(memstore.Options{})
	t.Cleanup(func() { store.Close() })
	svc, err := authing.New(authing.Config{SecretKey: strings.Repeat("0123456789", 4)}, store, users,
		password.New(users, password.Options{Hasher: hs}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRun drives every scenario briefly against an in-process authing and
// checks the JSON report.
func TestRun(t *testing.T) {
	url := startAuthing(t)
	var out, logs bytes.Buffer
	err := run(t.Context(), []string{"--url", url, "--username", "u", "--password", "pw-1",
		"--duration", "300ms", "--warmup", "50ms", "--clients", "4", "--hash-clients", "2",
		"--pid", strconv.Itoa(os.Getpid()), "--baseline", "in-process", "--json", "-"}, &out, &logs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the JSON report: %v\n%s", err, out.String())
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Scenario)
		if r.Operations == 0 || r.Errors != 0 || r.ReqPerSec <= 0 || r.P99 <= 0 || r.Ratio.ReqPerSec <= 0 {
			t.Errorf("%s: %+v", r.Scenario, r)
		}
		if r.Scenario == scSignIn && r.Requests != 3*r.Operations {
			t.Errorf("signin: %d requests for %d flows, want 3 each", r.Requests, r.Operations)
		}
	}
	if !slices.Equal(got, allScenarios) {
		t.Errorf("scenarios %v, want %v", got, allScenarios)
	}
	if rep.Hash == nil || rep.Hash.BoundPerSec <= 0 {
		t.Errorf("no hash bound: %+v", rep.Hash)
	}
	if len(rep.Targets) != 4 {
		t.Errorf("targets %+v, want 4 verdicts", rep.Targets)
	}
	var table bytes.Buffer
	rep.writeTable(&table)
	for _, want := range []string{"refresh", "p99 ms (×base)", "hash bound", "sign-in flows/s"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestRun_BaselineProcess(t *testing.T) {
	url := startAuthing(t)
	var out, logs bytes.Buffer
	err := run(t.Context(), []string{"--url", url, "--username", "u", "--password", "pw-1", "--scenarios", "refresh",
		"--duration", "200ms", "--warmup", "0", "--clients", "2", "--baseline", "process", "--json", "-"}, &out, &logs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Config.Baseline != "by a child process" || len(rep.Results) != 2 {
		t.Fatalf("report: %+v %+v", rep.Config, rep.Results)
	}
	for _, r := range rep.Results {
		if r.Operations == 0 || r.Errors != 0 {
			t.Errorf("%s: %+v", r.Scenario, r)
		}
	}
}

func TestRun_Soak(t *testing.T) {
	url := startAuthing(t)
	var out, logs bytes.Buffer
	err := run(t.Context(), []string{"--url", url, "--username", "u", "--password", "pw-1",
		"--soak", "600ms", "--sample", "200ms", "--clients", "4", "--pid", strconv.Itoa(os.Getpid())}, &out, &logs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	for _, want := range []string{"soak:", "idle before", "idle after", "RSS growth"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the soak report lacks %q:\n%s", want, out.String())
		}
	}
}
