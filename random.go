package authing

import "crypto/rand"

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on an unusable source)
	return b
}
