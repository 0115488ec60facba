package main

import (
	"context"
	"fmt"
	"time"

	"authing.dev/authing/hashers"
)

// cmdCheck prints every configuration finding without starting; it fails
// (exit 1) when there is an error that would stop `serve`.
func cmdCheck(ctx context.Context, args []string, e env) error {
	cf := newFlagSet("check", e)
	if err := cf.parse(args); err != nil {
		return err
	}
	cfg, st, err := cf.resolve(e, nil)
	if err != nil {
		for _, f := range unjoin(err) {
			fmt.Fprintln(e.stdout, "error:", f)
		}
	}
	if st != nil {
		if st.str("SECRET_KEY") == "" {
			fmt.Fprintln(e.stdout, "note: SECRET_KEY is not set: `serve` on SQLite keeps a generated key beside the database; set BS_SECRET_KEY for anything shared")
		}
		if b, err := st.boolean("BAZIS_AUTH_COOKIE_SECURE"); err == nil && !b {
			fmt.Fprintln(e.stdout, "warning: BAZIS_AUTH_COOKIE_SECURE=false: the store cookie is sent over plain HTTP (development only)")
		}
		if cfg != nil && len(cfg.kinds) == 0 && err == nil {
			fmt.Fprintln(e.stdout, "warning: BAZIS_AUTH_KINDS is empty: GET /auth/ offers no way to sign in")
		}
	}
	if err != nil {
		return fmt.Errorf("%d configuration error(s)", len(unjoin(err)))
	}
	fmt.Fprintln(e.stdout, "ok: configuration is valid")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, e env) error {
	cf := newFlagSet("migrate", e)
	if err := cf.parse(args); err != nil {
		return err
	}
	cfg, db, err := openMigrated(ctx, cf, e)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", redactURL(cfg.databaseURL))
	return nil
}

func cmdHash(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "calibrate" {
		return usageError{"usage: authing hash calibrate [--algorithm argon2|pbkdf2_sha256] [--target 250ms]"}
	}
	cf := newFlagSet("hash calibrate", e)
	alg := cf.fs.String("algorithm", "argon2", "algorithm to calibrate: argon2 or pbkdf2_sha256")
	target := cf.fs.Duration("target", 250*time.Millisecond, "time one hash should take on this machine")
	if err := cf.parse(args[1:]); err != nil {
		return err
	}
	_, params, err := hashers.Calibrate(*alg, *target)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s (about %s per hash on this machine)\n", *alg, params, *target)
	return nil
}

// openMigrated resolves the configuration of a command and opens its user
// database with the tables created or checked.
func openMigrated(ctx context.Context, cf commonFlags, e env) (*appConfig, userDB, error) {
	cfg, _, err := cf.resolve(e, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration:\n  %w", indent(err))
	}
	db, err := openUsers(ctx, cfg.databaseURL)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return cfg, db, nil
}
