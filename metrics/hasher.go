package metrics

import "time"

// Hasher is the password.Hasher interface (declared here so that this
// package does not import a sign-in method); hashers.Set implements it.
type Hasher interface {
	Verify(password, encoded string) (ok, upgrade bool, err error)
	Encode(password string) (string, error)
	VerifyDummy(password string)
}

// Hasher returns h timing its work in authing_password_hash_duration_seconds
// (op = verify, encode, dummy). The result is a password.Hasher.
func (m *Metrics) Hasher(h Hasher) Hasher { return &hasher{next: h, m: m} }

type hasher struct {
	next Hasher
	m    *Metrics
}

func (h *hasher) observe(op string, start time.Time) {
	h.m.hashDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (h *hasher) Verify(password, encoded string) (bool, bool, error) {
	defer h.observe("verify", time.Now())
	return h.next.Verify(password, encoded)
}

func (h *hasher) Encode(password string) (string, error) {
	defer h.observe("encode", time.Now())
	return h.next.Encode(password)
}

func (h *hasher) VerifyDummy(password string) {
	defer h.observe("dummy", time.Now())
	h.next.VerifyDummy(password)
}
