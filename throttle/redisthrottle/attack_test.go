package redisthrottle_test

import (
	"testing"

	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/method/password"
	"authing.dev/authing/throttle"
	"authing.dev/authing/throttle/internal/attack"
	"authing.dev/authing/throttle/redisthrottle"
	"authing.dev/authing/throttle/throttletest"
)

// The acceptance scenario on three instances, each with its own Redis
// client, sharing one Redis: the limits hold overall, not per instance.
func TestAttack_ThreeInstances(t *testing.T) {
	clock := throttletest.NewClock()
	limits := throttle.Limits{Now: clock.Now}
	prefix := testenv.Unique("attack-")
	var limiters []password.Limiter
	for range 3 {
		limiters = append(limiters, redisthrottle.New(client(t), redisthrottle.Options{Prefix: prefix, Limits: limits}))
	}
	attack.Run(t, clock, limits, limiters)
}
