package metrics

import (
	"context"
	"time"

	"authing.dev/authing"
)

// Store returns s counting its operations, errors and durations under the
// label backend (e.g. "memory", "redis").
func (m *Metrics) Store(s authing.Store, backend string) authing.Store {
	return &store{next: s, m: m, backend: backend}
}

type store struct {
	next    authing.Store
	m       *Metrics
	backend string
}

var _ authing.Store = (*store)(nil)

// Unwrap returns the decorated store.
func (s *store) Unwrap() authing.Store { return s.next }

func (s *store) observe(op string, start time.Time, err error) {
	s.m.storeOps.WithLabelValues(s.backend, op).Inc()
	s.m.storeDuration.WithLabelValues(s.backend, op).Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.storeErrors.WithLabelValues(s.backend, op).Inc()
	}
}

func (s *store) Put(ctx context.Context, key string, d authing.StoreData, ttl time.Duration) error {
	start := time.Now()
	err := s.next.Put(ctx, key, d, ttl)
	s.observe("put", start, err)
	return err
}

func (s *store) Get(ctx context.Context, key string) (authing.StoreData, bool, error) {
	start := time.Now()
	d, found, err := s.next.Get(ctx, key)
	s.observe("get", start, err)
	return d, found, err
}

func (s *store) Claim(ctx context.Context, key string) (authing.StoreData, bool, error) {
	start := time.Now()
	d, won, err := s.next.Claim(ctx, key)
	s.observe("claim", start, err)
	if err == nil {
		result := "lost"
		if won {
			result = "won"
		}
		s.m.storeClaims.WithLabelValues(s.backend, result).Inc()
	}
	return d, won, err
}

func (s *store) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := s.next.Delete(ctx, key)
	s.observe("delete", start, err)
	return err
}
