package throttle_test

import (
	"testing"

	"authing.dev/authing/method/password"
	"authing.dev/authing/throttle"
	"authing.dev/authing/throttle/internal/attack"
	"authing.dev/authing/throttle/throttletest"
)

// The acceptance scenario on one instance with the memory limiter and the
// default limits.
func TestAttack(t *testing.T) {
	clock := throttletest.NewClock()
	lim := throttle.New(throttle.Options{Limits: throttle.Limits{Now: clock.Now}})
	attack.Run(t, clock, throttle.Limits{}, []password.Limiter{lim})
}
