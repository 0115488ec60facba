package memstore

import (
	"fmt"
	"testing"
	"time"

	"authing.dev/authing"
)

// TestSweepShrinks: a sweep that leaves a shard at under a quarter of its
// peak rebuilds its map, so that memory taken by a burst is given back.
func TestSweepShrinks(t *testing.T) {
	now := time.Unix(1e9, 0)
	s := New(Options{Now: func() time.Time { return now }, SweepInterval: time.Hour})
	defer s.Close()
	c := s.c
	sh := &c.shards[0]
	sh.mu.Lock()
	for i := range 2000 {
		ttl := time.Second
		if i < 100 {
			ttl = time.Hour
		}
		sh.m[fmt.Sprint(i)] = entry{data: authing.StoreData{}, expires: now.Add(ttl)}
	}
	sh.peak = 2000
	c.count.Add(2000)
	old := sh.m
	sh.mu.Unlock()

	now = now.Add(time.Minute)
	c.sweep(make(chan struct{}))

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.m) != 100 || c.count.Load() != 100 {
		t.Fatalf("after sweep: %d entries, count %d; want 100", len(sh.m), c.count.Load())
	}
	if fmt.Sprintf("%p", sh.m) == fmt.Sprintf("%p", old) {
		t.Error("shard map was not rebuilt")
	}
	if sh.peak != 100 {
		t.Errorf("peak = %d, want 100", sh.peak)
	}
}
