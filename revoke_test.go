package authing_test

import (
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/throttle/throttletest"
)

func TestMemoryRevocations(t *testing.T) {
	throttletest.TestRevocations(t, func(t *testing.T, now func() time.Time) authing.Revocations {
		return authing.NewMemoryRevocations(now, 0)
	})
}
