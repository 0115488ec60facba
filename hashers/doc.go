// Package hashers owns Django's password hash formats: it verifies every
// format that a Django database holds today, encodes new hashes with a
// configurable algorithm, and tells when a stored hash should be replaced
// after a successful sign-in.
//
// # Formats
//
// The encoded strings are exactly Django's (django/contrib/auth/hashers.py):
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>
//	pbkdf2_sha1$<iterations>$<salt>$<base64 of 20 bytes>
//	argon2$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>   (also argon2i)
//	bcrypt_sha256$$2b$<cost>$<53 characters>                          (also $2a$, $2y$)
//	bcrypt$$2b$<cost>$<53 characters>
//	scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>
//
// A hash that starts with "!" is Django's unusable password and never
// verifies. Django's legacy formats (salted and unsalted MD5 and SHA-1,
// crypt), which no stock Django configuration verifies any more, are not
// verified: they are reported as ErrUnknownAlgorithm, and a caller who still
// has such hashes can add its own [Hasher] to a [Set].
//
// # Choosing the default
//
// [Default] prefers argon2id with the OWASP parameters (m=19456 KiB, t=2,
// p=1): memory-hard, fast enough for an interactive login on a small
// machine, and in the very format that Django's Argon2PasswordHasher reads.
// Pick it for new deployments.
//
// Pick [PBKDF2SHA256] (Django's own default) when the user table is shared
// with a Django that may lack the argon2-cffi package: such a Django cannot
// verify argon2 hashes, while every Django can verify pbkdf2_sha256.
// [NewSetFromNames] takes Django's PASSWORD_HASHERS list as it is, so the
// two sides can be configured alike.
//
// # Verifying everything
//
// A [Set] encodes with its preferred hasher but verifies every format above
// whether or not it was listed, because the point of authing is to sign in
// users created by Django; Django itself verifies only the listed hashers.
// Listed hashers take precedence over the built-in ones of the same
// algorithm, which is how a deployment raises a limit or adds a format.
//
// # Hostile hashes
//
// A hash string comes from a database that an attacker may have written to,
// so its parameters are bounded before any work is done (see the Max fields
// of each hasher and the Default… constants): a hash beyond a limit fails
// with ErrLimit instead of tying up the server. Parse failures never panic;
// they return ErrMalformed, and no error message repeats salt or hash text.
//
// # Timing
//
// [Set.Verify] does work for every input: an unusable, unknown or malformed
// hash costs one verification against the preferred hasher (as
// [Set.VerifyDummy], which callers use for unknown users), and a wrong
// password against a weaker hash of the preferred algorithm is padded to the
// preferred cost, as Django's harden_runtime does.
package hashers
