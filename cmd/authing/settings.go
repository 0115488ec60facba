package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// setting is one configuration value: its Bazis name (read from BS_<Name>),
// its default and what it does. The table is also the configuration reference
// printed by `authing settings` and kept in docs/configuration.md.
type setting struct {
	Name    string
	Kind    string // string, int (seconds), bool, list (JSON array of strings)
	Default string
	Doc     string
}

var settingsTable = []setting{
	{"SECRET_KEY", "string", "", "Key that signs store and session tokens (HMAC); at least 32 characters. Without it `serve` on SQLite generates one and keeps it beside the database (mode 0600)."},
	{"SECRET_KEY_FALLBACKS", "list", "[]", "Older keys that still verify tokens, for rotation without signing everyone out."},
	{"BAZIS_AUTH_KINDS", "list", `["bazis.contrib.authing.services.password"]`, "Sign-in methods offered by GET /auth/, in order: `password` (or `bazis.contrib.authing.services.password`)."},
	{"BAZIS_AUTH_COOKIE_NAME", "string", "bazis_auth", "Name of the store cookie and of the query parameter that carries tokens."},
	{"BAZIS_AUTH_COOKIE_LIFETIME", "int", "600", "Seconds an anonymous store (and its cookie) lives."},
	{"BAZIS_AUTH_CLAIM_LIFETIME", "int", "60", "Seconds a signed-in store waits to be claimed by GET /auth/."},
	{"BAZIS_AUTH_COOKIE_SECURE", "bool", "true", "Secure attribute of the store cookie; `false` only for plain-HTTP development."},
	{"BAZIS_JWT_SESSION_ALG", "string", "HS256", "Session and store token algorithm: HS256, HS384 or HS512."},
	{"BAZIS_JWT_SESSION_LIFETIME", "int", "86400", "Seconds a session token is valid."},
	{"BAZIS_OPENAPI_TOKEN_URL", "string", "/api/openapi-token/", "Absolute path of the bazis-users token endpoint (`-` turns it off)."},
	{"LANGUAGE_CODE", "string", "en", "Language of texts when the request asks for none (`?lang=`, Accept-Language)."},
	{"LANGUAGES", "list", `["en","ru"]`, "Languages a request may choose (codes, or Django's [code, name] pairs)."},
	{"CSRF_TRUSTED_ORIGINS", "list", "[]", "Origins allowed by CORS with credentials."},
	{"HOST_URL", "string", "", "Public URL of the service; also a trusted CORS origin."},
	{"DEBUG", "bool", "false", "Accepted for compatibility; authing never puts tracebacks in answers."},
	{"PASSWORD_HASHERS", "list", `["argon2","pbkdf2_sha256","pbkdf2_sha1","bcrypt_sha256","bcrypt","scrypt"]`, "Django hasher names or class paths; the first encodes new and upgraded passwords, every known format verifies."},
	{"AUTHING_UPGRADE_HASHES", "bool", "true", "Re-hash a password with the first hasher after a successful sign-in when its hash is outdated."},
	{"DATABASE_URL", "string", "sqlite://./authing.db", "User database: `sqlite://PATH` or `postgres://…`."},
	{"REDIS_URL", "string", "", "Redis for stores (`redis://…`); empty means the in-process store (one instance only)."},
	{"REDIS_KEY_PREFIX", "string", "", "Prefix put before every Redis key (keys are `auth_store_<key>` as in Bazis without one)."},
	{"DATABASE_MAX_CONNS", "int", "0", "Largest number of PostgreSQL connections one instance opens; `0` means 4 × CPUs (at least 4), or the URL's `pool_max_conns`. Size it so that instances × this stays under the server's `max_connections`."},
	{"DATABASE_CONNECT_TIMEOUT", "seconds", "5", "Seconds to open one PostgreSQL connection (TCP, TLS, start-up); decimals allowed. Left at the default, the URL's `connect_timeout` applies."},
	{"DATABASE_QUERY_TIMEOUT", "seconds", "3", "Seconds one user-database operation may take, waiting for a pooled connection and connecting included; past it the request answers 503. Decimals allowed."},
	{"REDIS_POOL_SIZE", "int", "0", "Largest number of Redis connections one instance opens; `0` means 10 × CPUs, or the URL's `pool_size`."},
	{"REDIS_CONNECT_TIMEOUT", "seconds", "2", "Seconds to open one Redis connection (TCP, TLS); decimals allowed. Left at the default, the URL's `dial_timeout` applies."},
	{"REDIS_TIMEOUT", "seconds", "1", "Seconds to write one Redis command and to wait for its reply; decimals allowed. A command that fails on the network is retried once, so a Redis that is down or silent gives 503 within about 2 × (REDIS_CONNECT_TIMEOUT + REDIS_TIMEOUT). Left at the default, the URL's `read_timeout`/`write_timeout` apply."},
	{"AUTHING_REQUEST_TIMEOUT", "seconds", "10", "Upper bound of the work of one request on the database and Redis; a request past it answers 503. Decimals allowed."},
	{"AUTHING_MIGRATE", "bool", "true", "`serve` runs `migrate` at start (creates authing's table, or checks a Bazis one without changing it). `false`: instances never touch the schema and start while the database is down; run `authing migrate` once per deployment."},
	{"AUTHING_ADDR", "string", "127.0.0.1:8080", "Address `serve` listens on."},
	{"AUTHING_PREFIX", "string", "/api/v1/authing", "Path prefix of the API."},
	{"AUTHING_METRICS", "bool", "true", "`serve` exposes Prometheus metrics at `/metrics`: sign-ins, claims, throttling, store operations, password-hash and request durations, Go runtime."},
	{"AUTHING_SWAGGER", "bool", "true", "`serve` offers Swagger UI at `/api/swagger/` (its Authorize uses the password token endpoint). The OpenAPI document is always at `{prefix}/openapi.json`."},
	{"AUTHING_LOGIN_PAGE", "string", "auto", "`serve` offers a sign-in page at `/login/`: `true`, `false`, or `auto` = on with the embedded defaults (an SQLite database and the in-process store)."},
	{"BAZIS_G_AUTH_CLIENT_ID", "string", "", "Google OAuth client id, for the kind `google` (also `bazis.contrib.authing.services.google`); Google ID tokens must have it as audience."},
	{"BAZIS_G_AUTH_CLIENT_SECRET", "string", "", "Google OAuth client secret (the browser flow's code exchange)."},
	{"BAZIS_G_AUTH_REDIRECT_URI", "string", "", "Google callback URL registered with Google; empty means HOST_URL + `{prefix}/google-auth-callback/`."},
	{"AUTHING_OIDC_PROVIDERS", "json", "[]", "OpenID Connect providers, a JSON list of `{name, issuer, client_id, client_secret, scopes, label, trust_email, create_users, redirect_uri}`; list each as `oidc:<name>` in BAZIS_AUTH_KINDS. See docs/oidc.md."},
	{"AUTHING_THROTTLE", "bool", "true", "Throttle credential attempts (password logins and token endpoints) with growing waits instead of lock-outs; counted in Redis when REDIS_URL is set, so that the limits hold across instances, else in memory. See docs/security.md."},
	{"AUTHING_THROTTLE_USER", "string", "5/15m/15m", "Rule of the per-username counter (any address but the user's known ones): `FREE/FORGIVE/MAXDELAY[/DELAY]` = free failures, one failure forgotten every FORGIVE, waits from DELAY (1s) doubling up to MAXDELAY; `off` turns it off."},
	{"AUTHING_THROTTLE_USER_IP", "string", "5/15m/15m", "Rule of the per-username-and-address counter."},
	{"AUTHING_THROTTLE_IP", "string", "50/1m/15m", "Rule of the per-client-address counter (one address trying many accounts)."},
	{"AUTHING_THROTTLE_NET", "string", "200/15s/15m", "Rule of the per-network counter (/24 for IPv4, /64 for IPv6)."},
	{"AUTHING_THROTTLE_GLOBAL", "string", "1000/10ms/1m", "Rule of the global counter: a ceiling on failed sign-ins of the whole service (100/s sustained by default)."},
	{"AUTHING_TRUSTED_PROXIES", "list", "[]", "Reverse proxies and load balancers (CIDRs or addresses) whose X-Forwarded-For is read, right to left, to find the client address; empty: the connection's address."},
	{"AUTHING_REVOKE_ON_LOGOUT", "bool", "false", "POST /logout/ also revokes the session tokens it is given, until their expiry (in Redis with REDIS_URL, else in this process only). `false`: session tokens are stateless, as in Bazis."},
	{"AUTHING_AUDIT_LOG", "bool", "true", "Log one `audit` line per sign-in success, failure, throttling, claim, refresh, logout and revocation (event, method, user, client address; never a secret)."},
}

func lookupSetting(name string) (setting, bool) {
	for _, s := range settingsTable {
		if s.Name == name {
			return s, true
		}
	}
	return setting{}, false
}

// settings are the resolved values by name, with the source of each.
type settings struct {
	values map[string]string
	source map[string]string
}

// loadSettings resolves every setting: defaults, then the env files
// (project.env, then BS_ENV_FILE or .env), then the process environment,
// then flags (applied by the caller with set).
func loadSettings(getenv func(string) string, envFile string) (*settings, error) {
	s := &settings{values: map[string]string{}, source: map[string]string{}}
	for _, st := range settingsTable {
		s.values[st.Name] = st.Default
		s.source[st.Name] = "default"
	}
	files := []string{"project.env"}
	if envFile == "" {
		envFile = getenv("BS_ENV_FILE")
	}
	explicit := envFile != ""
	if envFile == "" {
		envFile = ".env"
	}
	files = append(files, envFile)
	for i, f := range files {
		vars, err := readEnvFile(f)
		if errors.Is(err, os.ErrNotExist) && !(explicit && i == len(files)-1) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for k, v := range vars {
			if name, ok := strings.CutPrefix(k, "BS_"); ok {
				if _, known := lookupSetting(name); known {
					s.values[name], s.source[name] = v, f
				}
			}
		}
	}
	for _, st := range settingsTable {
		if v := getenv("BS_" + st.Name); v != "" {
			s.values[st.Name], s.source[st.Name] = v, "environment"
		}
	}
	return s, nil
}

func (s *settings) set(name, value, source string) {
	s.values[name], s.source[name] = value, source
}

func (s *settings) str(name string) string { return s.values[name] }

func (s *settings) seconds(name string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s.values[name]), 10, 64)
	if err != nil || n <= 0 || n > 10*365*86400 {
		return 0, fmt.Errorf("%s must be a positive number of seconds (got %q)", name, s.values[name])
	}
	return time.Duration(n) * time.Second, nil
}

// boolean parses as pydantic does: true/false, 1/0, yes/no, on/off.
func (s *settings) boolean(name string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s.values[name])) {
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	case "0", "false", "f", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s must be true or false (got %q)", name, s.values[name])
}

// list parses a JSON array of strings; Django's [code, name] pairs give their
// first element (LANGUAGES).
func (s *settings) list(name string) ([]string, error) {
	raw := strings.TrimSpace(s.values[name])
	if raw == "" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return nil, fmt.Errorf("%s must be a JSON list (got %q)", name, raw)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var str string
		if json.Unmarshal(it, &str) == nil {
			out = append(out, str)
			continue
		}
		var pair []string
		if json.Unmarshal(it, &pair) == nil && len(pair) > 0 {
			out = append(out, pair[0])
			continue
		}
		return nil, fmt.Errorf("%s must list strings (got %s)", name, it)
	}
	return out, nil
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are skipped,
// an optional "export " prefix is allowed and values may be quoted with ' or ".
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		l = strings.TrimPrefix(l, "export ")
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected KEY=VALUE", path, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, sc.Err()
}

// settingsReference renders the table as Markdown (docs/configuration.md).
func settingsReference() string {
	var b strings.Builder
	b.WriteString("| setting (environment `BS_<NAME>`) | default | meaning |\n|---|---|---|\n")
	for _, st := range settingsTable {
		def := st.Default
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", st.Name, def, st.Doc)
	}
	return b.String()
}
