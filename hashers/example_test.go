package hashers_test

import (
	"fmt"

	"authing.dev/authing/hashers"
)

// A Set built from Django's PASSWORD_HASHERS signs in a user whose hash
// Django wrote, and asks for the hash to be replaced because it is not of
// the preferred algorithm.
func ExampleSet_Verify() {
	s, err := hashers.NewSetFromNames([]string{
		"django.contrib.auth.hashers.Argon2PasswordHasher",
		"django.contrib.auth.hashers.PBKDF2PasswordHasher",
	})
	if err != nil {
		panic(err)
	}
	stored := "pbkdf2_sha256$30000$seasalt2$a75qzbogeVhNFeMqhdgyyoqGKpIzYUo651sq57RERew="

	ok, upgrade, err := s.Verify("lètmein", stored)
	fmt.Println(ok, upgrade, err)
	if ok && upgrade {
		newHash, _ := s.Encode("lètmein")
		fmt.Println(newHash[:37])
	}

	ok, upgrade, err = s.Verify("wrong", stored)
	fmt.Println(ok, upgrade, err)
	// Output:
	// true true <nil>
	// argon2$argon2id$v=19$m=19456,t=2,p=1$
	// false false <nil>
}
