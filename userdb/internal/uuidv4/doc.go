// Package uuidv4 makes and reads the UUIDs that key users_user rows: random
// version 4 UUIDs from crypto/rand, in the canonical lowercase hyphenated form
// that Django's UUIDField and PostgreSQL print.
package uuidv4
