package authing_test

import (
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
)

// timingCases are the failures whose timing must not tell them apart.
var timingCases = []struct{ name, user, pw string }{
	{"wrong password", "alice", "wrong-password"},
	{"unknown username", "nobody", alicePassword},
	{"inactive user", "ivan", alicePassword},
}

// timingSample is the durations of each case on one endpoint, one per
// round (index i of every case is the same round).
type timingSample map[string][]time.Duration

func median[T time.Duration | float64](d []T) T {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// quartiles returns the first and third quartiles.
func quartiles(d []time.Duration) (time.Duration, time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/4], s[(3*len(s))/4]
}

// samplingRuns is the number of runs of which a sample keeps the fastest.
const samplingRuns = 5

// measure times rounds of every case on both password endpoints through
// the real handler. A round runs every case samplingRuns times, in a new
// random order each time, and keeps each case's fastest run: runs that
// another process (or a collection) interrupted are discarded, while the
// work of the path stays in every run, and a change of load on the machine
// during the round affects all the cases alike.
func measure(t *testing.T, s *secServer, rounds int) map[string]timingSample {
	st := map[string]string{}
	for _, c := range timingCases {
		st[c.name] = s.newStore(t)
	}
	out := map[string]timingSample{"POST /password/": {}, "POST /password/token/": {}}
	type job struct{ endpoint, name, user, pw string }
	var jobs []job
	for ep := range out {
		for _, c := range timingCases {
			jobs = append(jobs, job{ep, c.name, c.user, c.pw})
		}
	}
	run := func(j job) time.Duration {
		var rec *httptest.ResponseRecorder
		start := time.Now()
		if j.endpoint == "POST /password/" {
			rec = s.login(st[j.name], j.user, j.pw)
		} else {
			rec = s.tokenForm("/api/v1/authing/password/token/", j.user, j.pw)
		}
		d := time.Since(start)
		if rec.Code != 303 && rec.Code != 401 {
			t.Fatalf("%s %s: status %d", j.endpoint, j.name, rec.Code)
		}
		return d
	}
	for range rounds {
		best := make(map[job]time.Duration, len(jobs))
		for range samplingRuns {
			rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
			for _, j := range jobs {
				if d := run(j); best[j] == 0 || d < best[j] {
					best[j] = d
				}
			}
		}
		for j, d := range best {
			out[j.endpoint][j.name] = append(out[j.endpoint][j.name], d)
		}
	}
	return out
}

// distinguishable compares every case with the wrong-password case and
// reports the figures. The cases can be told apart when their medians
// differ by more than maxDiff, or the median of the per-round ratios (case
// / wrong password, measured in the same round) differs from 1 by more than
// maxDiff, or their interquartile ranges do not even overlap.
func distinguishable(t *testing.T, got map[string]timingSample, maxDiff float64) bool {
	t.Helper()
	bad := false
	for _, ep := range []string{"POST /password/", "POST /password/token/"} {
		cases := got[ep]
		refs := cases["wrong password"]
		ref := median(refs)
		rq1, rq3 := quartiles(refs)
		for _, c := range timingCases {
			ds := cases[c.name]
			m := median(ds)
			q1, q3 := quartiles(ds)
			ratios := make([]float64, len(ds))
			for i := range ds {
				ratios[i] = float64(ds[i]) / float64(refs[i])
			}
			paired := median(ratios) - 1
			diff := float64(m-ref) / float64(ref)
			t.Logf("%-22s %-16s median %8v  IQR [%v, %v]  medians %+5.1f%%  paired %+5.1f%%", ep, c.name,
				m.Round(10*time.Microsecond), q1.Round(10*time.Microsecond), q3.Round(10*time.Microsecond), 100*diff, 100*paired)
			if paired > maxDiff || paired < -maxDiff || diff > maxDiff || diff < -maxDiff || q1 > rq3 || rq1 > q3 {
				bad = true
			}
		}
	}
	return bad
}

// roundsFor picks the number of rounds so that one measurement takes about
// budget on this machine (argon2 is several times slower under -race).
func roundsFor(s *secServer, budget time.Duration) int {
	for range 2 { // also makes the dummy hash, which the first unknown user pays
		s.tokenForm("/api/v1/authing/password/token/", "nobody", "x")
	}
	start := time.Now()
	for range 4 {
		s.tokenForm("/api/v1/authing/password/token/", "alice", "x")
	}
	per := time.Since(start) / 4
	return min(max(int(budget/(samplingRuns*per*time.Duration(2*len(timingCases)))), 30), 200)
}

// timingHasher is argon2id, the default algorithm, with its memory small
// enough to stay in the CPU cache (256 KiB): every failure still does
// exactly one argon2id verification, through the same code as with the
// default parameters, but a sample takes half a millisecond instead of
// about 40 and is not at the mercy of the memory bandwidth that other
// processes use. It is also the stricter test: any work outside the hashing
// that differs between the cases weighs a hundred times more against the
// hash than with the default parameters.
func timingHasher() *hashers.Set { return hashers.NewSet(hashers.Argon2{MemoryKiB: 256, Time: 2}) }

// An unknown username and an inactive user take the same time as a wrong
// password: their medians, over many interleaved samples through the real
// handler, are within 5 % of each other. On a noisy machine a failed
// measurement is repeated once with twice the samples.
func TestNoEnumeration_Timing(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	s := newSecServer(t, authing.Config{}, password.Options{Hasher: timingHasher()})
	rounds := roundsFor(s, 4*time.Second)
	for attempt := 1; ; attempt++ {
		t.Logf("measurement %d: %d rounds", attempt, rounds)
		if !distinguishable(t, measure(t, s, rounds), 0.05) {
			return
		}
		if attempt == 2 {
			t.Fatal("the failures can be told apart by their timing (medians more than 5 % apart, or disjoint spreads)")
		}
		rounds *= 2
	}
}

// leakyHasher skips the dummy work for unknown users: the timing oracle the
// test above must catch.
type leakyHasher struct{ *hashers.Set }

func (leakyHasher) VerifyDummy(string) {}

// The statistic detects a real leak (a control of the test above).
func TestNoEnumeration_TimingDetectsALeak(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	s := newSecServer(t, authing.Config{}, password.Options{Hasher: leakyHasher{timingHasher()}})
	if !distinguishable(t, measure(t, s, 20), 0.05) {
		t.Fatal("an unknown user that costs no hashing was not detected")
	}
}
