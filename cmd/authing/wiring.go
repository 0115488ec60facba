package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"authing.dev/authing"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/userdb/postgres"
	"authing.dev/authing/userdb/sqlite"
)

// kindNames maps every accepted BAZIS_AUTH_KINDS name to its canonical kind.
// Together with kindConstructors it is the only name → constructor map of
// the project.
var kindNames = map[string]string{
	"password": "password",
	"bazis.contrib.authing.services.password": "password",
	"google":                                "google",
	"bazis.contrib.authing.services.google": "google",
}

// kindHints explain names that Bazis itself would skip with a warning.
var kindHints = map[string]string{
	"bazis.contrib.authing.password": "did you mean bazis.contrib.authing.services.password? (Bazis check authing.W001)",
}

// methodDeps is what a method constructor may use.
type methodDeps struct {
	users    authing.UserDirectory
	hashers  password.Hasher // a *hashers.Set, timed when metrics are on
	upgrade  bool
	settings *settings
	limiter  password.Limiter // nil: no throttling (wiring_security.go)
}

// kindConstructors builds the method of each canonical kind.
var kindConstructors = map[string]func(methodDeps) (authing.Method, error){
	"password": func(d methodDeps) (authing.Method, error) {
		return password.New(d.users, password.Options{Hasher: d.hashers, KeepHashes: !d.upgrade, Limiter: d.limiter}), nil
	},
	"google": newGoogleMethod, // wiring_oidc.go; "oidc:<name>" kinds are built by newOIDCMethod
}

func newMethod(kind string, d methodDeps) (authing.Method, error) {
	if c, ok := kindConstructors[kind]; ok {
		return c(d)
	}
	if name, ok := strings.CutPrefix(kind, oidcKindPrefix); ok {
		return newOIDCMethod(name, d)
	}
	return nil, fmt.Errorf("no constructor for kind %q", kind)
}

// appConfig is the resolved configuration of a command.
type appConfig struct {
	auth        authing.Config
	kinds       []string        // canonical names, in order
	hashers     password.Hasher // a *hashers.Set (extras.go may wrap it)
	upgrade     bool
	databaseURL string
	redisURL    string
	redisPrefix string
	addr        string
	secretSet   bool // SECRET_KEY came from the configuration
	backend     backendConfig
	security    securityConfig
	extras      extrasConfig
}

// commonFlags are the flags every command that opens the database takes.
type commonFlags struct {
	fs       *flag.FlagSet
	database *string
	envFile  *string
}

func newFlagSet(name string, e env) commonFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return commonFlags{
		fs:       fs,
		database: fs.String("database", "", "user database URL: sqlite://PATH or postgres://… (BS_DATABASE_URL; default sqlite://./authing.db)"),
		envFile:  fs.String("env-file", "", "settings file of BS_<NAME>=value lines (BS_ENV_FILE; default .env)"),
	}
}

func (c commonFlags) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{"see the flags above"}
		}
		return usageError{err.Error()}
	}
	if c.fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", c.fs.Arg(0))}
	}
	return nil
}

// resolve loads the settings, applies the flags given and builds the
// configuration. Every problem found is returned, joined.
func (c commonFlags) resolve(e env, flags map[string]string) (*appConfig, *settings, error) {
	st, err := loadSettings(e.getenv, *c.envFile)
	if err != nil {
		return nil, nil, err
	}
	if *c.database != "" {
		st.set("DATABASE_URL", *c.database, "flag")
	}
	for name, v := range flags {
		if v != "" {
			st.set(name, v, "flag")
		}
	}
	cfg, err := buildConfig(st)
	return cfg, st, err
}

func buildConfig(st *settings) (*appConfig, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	c := &appConfig{databaseURL: st.str("DATABASE_URL"), redisURL: st.str("REDIS_URL"), redisPrefix: st.str("REDIS_KEY_PREFIX"), addr: st.str("AUTHING_ADDR")}
	a := &c.auth
	a.SecretKey = st.str("SECRET_KEY")
	c.secretSet = a.SecretKey != ""
	var err error
	a.SecretKeyFallbacks, err = st.list("SECRET_KEY_FALLBACKS")
	add(err)
	a.Prefix = st.str("AUTHING_PREFIX")
	a.OpenAPITokenURL = st.str("BAZIS_OPENAPI_TOKEN_URL")
	a.CookieName = st.str("BAZIS_AUTH_COOKIE_NAME")
	a.CookieLifetime, err = st.seconds("BAZIS_AUTH_COOKIE_LIFETIME")
	add(err)
	a.ClaimLifetime, err = st.seconds("BAZIS_AUTH_CLAIM_LIFETIME")
	add(err)
	secure, err := st.boolean("BAZIS_AUTH_COOKIE_SECURE")
	add(err)
	a.InsecureCookie = !secure
	a.SessionAlgorithm = st.str("BAZIS_JWT_SESSION_ALG")
	a.SessionLifetime, err = st.seconds("BAZIS_JWT_SESSION_LIFETIME")
	add(err)
	a.LanguageCode = st.str("LANGUAGE_CODE")
	a.Languages, err = st.list("LANGUAGES")
	add(err)
	a.TrustedOrigins, err = st.list("CSRF_TRUSTED_ORIGINS")
	add(err)
	if h := st.str("HOST_URL"); h != "" {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(fmt.Errorf("HOST_URL must be an http(s) URL (got %q)", h))
		} else {
			a.TrustedOrigins = append(a.TrustedOrigins, u.Scheme+"://"+u.Host)
		}
	}
	for _, o := range a.TrustedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			add(fmt.Errorf("CSRF_TRUSTED_ORIGINS entry %q is not an origin like https://app.example.com", o))
		}
	}
	_, err = st.boolean("DEBUG")
	add(err)
	c.upgrade, err = st.boolean("AUTHING_UPGRADE_HASHES")
	add(err)
	names, err := st.list("PASSWORD_HASHERS")
	add(err)
	if err == nil {
		c.hashers, err = hashers.NewSetFromNames(names)
		add(err)
	}
	kinds, err := st.list("BAZIS_AUTH_KINDS")
	add(err)
	for _, k := range kinds {
		canon, ok := kindNames[k]
		if !ok {
			canon, ok = oidcKind(k)
		}
		if !ok {
			msg := fmt.Sprintf("BAZIS_AUTH_KINDS: unknown sign-in method %q (known: %s)", k, strings.Join(knownKinds(), ", "))
			if h := kindHints[k]; h != "" {
				msg += "; " + h
			}
			add(errors.New(msg))
			continue
		}
		c.kinds = append(c.kinds, canon)
	}
	add(checkOIDCSettings(st, c.kinds))
	if _, _, err := parseDatabaseURL(c.databaseURL); err != nil {
		add(err)
	}
	if c.redisURL != "" {
		if u, err := url.Parse(c.redisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			add(fmt.Errorf("REDIS_URL must be redis://… or rediss://… (got %q)", redactURL(c.redisURL)))
		}
	}
	c.backend, err = backendSettings(st)
	add(err)
	c.security, err = securitySettings(st)
	add(err)
	c.extras, err = extrasSettings(st)
	add(err)
	if c.secretSet {
		add(secretFindings(a.SecretKey))
	}
	// Validate everything else the library checks (with a stand-in key when
	// the key is generated later).
	probe := *a
	if !c.secretSet {
		probe.SecretKey = strings.Repeat("k", authing.MinSecretKeyLength)
	}
	if err := probe.Validate(); err != nil {
		for _, e := range unjoin(err) {
			if !strings.HasPrefix(e.Error(), "SECRET_KEY") {
				add(e)
			}
		}
	}
	return c, errors.Join(errs...)
}

func knownKinds() []string {
	names := make([]string, 0, len(kindNames))
	for n := range kindNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// secretFindings applies the Bazis core rules for SECRET_KEY.
func secretFindings(k string) error {
	distinct := map[rune]bool{}
	for _, r := range k {
		distinct[r] = true
	}
	switch {
	case len(k) < authing.MinSecretKeyLength:
		return fmt.Errorf("SECRET_KEY is too short: %d characters, at least %d are required", len(k), authing.MinSecretKeyLength)
	case len(distinct) < 5:
		return errors.New("SECRET_KEY is too weak: fewer than 5 distinct characters")
	case strings.HasPrefix(k, "django-insecure-"):
		return errors.New("SECRET_KEY starts with django-insecure-: generate a real key")
	}
	return nil
}

// parseDatabaseURL returns the kind ("sqlite" or "postgres") and the path or
// URL to open. sqlite://./rel.db and sqlite:///abs/path.db are accepted.
func parseDatabaseURL(raw string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		p := strings.TrimPrefix(raw, "sqlite://")
		if p == "" {
			return "", "", fmt.Errorf("DATABASE_URL %q names no file", raw)
		}
		return "sqlite", p, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", fmt.Errorf("DATABASE_URL is not a valid URL: %v", redactURL(raw))
		}
		return "postgres", raw, nil
	}
	return "", "", fmt.Errorf("DATABASE_URL must be sqlite://PATH or postgres://… (got %q)", redactURL(raw))
}

// redactURL hides a password in a URL for messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// userDB is an open user database.
type userDB interface {
	authing.UserDirectory
	Migrate(ctx context.Context) error
	io.Closer
}

type sqliteDB struct{ *sqlite.DB }

func (d sqliteDB) Close() error { return d.DB.Close() }

type postgresDB struct{ *postgres.DB }

func (d postgresDB) Close() error { d.DB.Close(); return nil }

func openUsers(ctx context.Context, raw string) (userDB, error) {
	return openUserDB(ctx, raw, postgres.Options{})
}

// openUserDB opens the database of a URL; pg applies to PostgreSQL.
func openUserDB(ctx context.Context, raw string, pg postgres.Options) (userDB, error) {
	kind, target, err := parseDatabaseURL(raw)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "sqlite":
		db, err := sqlite.Open(ctx, target, sqlite.Options{})
		if err != nil {
			return nil, err
		}
		return sqliteDB{db}, nil
	default:
		db, err := postgres.Open(ctx, target, pg)
		if err != nil {
			return nil, err
		}
		return postgresDB{db}, nil
	}
}

// ensureSecret returns SECRET_KEY, or for an SQLite database without one the
// key kept beside the database file (generated with mode 0600 the first time).
func ensureSecret(c *appConfig, logf func(string, ...any)) (string, error) {
	if c.secretSet {
		return c.auth.SecretKey, nil
	}
	kind, target, _ := parseDatabaseURL(c.databaseURL)
	if kind != "sqlite" {
		return "", errors.New("SECRET_KEY is required with a PostgreSQL database: every instance must share it (set BS_SECRET_KEY)")
	}
	path := target + ".secret"
	if b, err := os.ReadFile(path); err == nil {
		k := strings.TrimSpace(string(b))
		if err := secretFindings(k); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		logf("using the secret key kept in %s (set BS_SECRET_KEY to choose one)", path)
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 32)
	rand.Read(b)
	k := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("keeping the generated secret key: %w", err)
	}
	if _, err := f.WriteString(k + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	logf("generated a secret key and kept it in %s (mode 0600); set BS_SECRET_KEY to choose one", path)
	return k, nil
}
