// Package oidc signs users in through an OpenID Connect provider: Google,
// wire-compatible with bazis-authing's Google service (AUTH_CODE "google"),
// and any other provider by configuration (Keycloak, Microsoft Entra ID,
// Okta, GitLab, Authentik, Dex, …), each its own method with its own code.
//
// # Routes
//
// A method serves three routes under the service prefix. For Google they are
// the Bazis ones; for a provider named "corp" they are /oidc/corp/…:
//
//   - GET  init (google-auth-init/, oidc/corp/init/): the browser window
//     opened with the store token (?bazis_auth=…) is sent on to the provider
//     (302) with response_type=code, client_id, redirect_uri, scope, a
//     one-time state, a nonce and a PKCE S256 challenge;
//   - GET  callback (google-auth-callback/, oidc/corp/callback/): the
//     provider sends the window back with the code; the store named by the
//     state is signed in (or gets an error) and the window shows a small page
//     that closes itself. The application polls GET /auth/ meanwhile;
//   - POST verify (google-auth-verify/, oidc/corp/verify/): a mobile SDK
//     posts the ID token and access token it got from the provider; the
//     answer is the 303 to GET /auth/ of every store sign-in.
//
// # Security properties
//
//   - The store token never leaves authing: the provider sees a random state
//     (32 bytes), kept in the Store under StateKeyPrefix+state with the
//     store key, the nonce and the PKCE verifier, for the lifetime of the
//     store, and claimed (atomic get-and-delete) by the callback: a state
//     works once.
//   - The state is bound to the browser that started the flow: init sets an
//     HttpOnly, SameSite=Lax cookie, limited to the callback path, named and
//     valued after a SHA-256 hash of the state; the callback refuses a state
//     whose cookie is missing.
//   - PKCE (S256) on every authorization-code exchange; the nonce of the ID
//     token must equal the one sent.
//   - ID tokens are verified with go-oidc: signature against the provider's
//     JWKS (only asymmetric algorithms; "none" and HMAC are refused), issuer,
//     audience (the client id) and expiry. An unknown key id causes at most
//     one JWKS refresh per KeyRefreshInterval.
//   - The verify route does not check a nonce (the SDK chose it): an ID
//     token can be replayed there until it expires, as in Bazis.
//
// # Provider outages
//
// Discovery and keys are fetched on first use, cached, and fetched again
// after a failure no more often than every Options.RetryInterval. A provider
// that is down never stops authing from starting and never affects other
// methods: its own sign-ins record the method's error code in the store
// until it answers again.
//
// # Accounts
//
// The claims select a user in this order (see Provider for the switches):
//
//  1. the account link (issuer, subject) → user id, when the user database
//     keeps links (it implements Links);
//  2. the user whose email equals the verified email, ignoring case, only
//     when email_verified is the JSON value true and the provider is
//     trusted for emails (Provider.TrustEmail; Google is, as in Bazis);
//  3. a new user (Provider.CreateUsers; Google does, as in Bazis): username
//     UsernamePrefix+sub, the email only when verified and trusted, names from
//     given_name/name and family_name, an unusable password;
//  4. otherwise the sign-in is refused with CodeNoAccount.
//
// Found and created users are linked. Inactive users are refused.
package oidc
