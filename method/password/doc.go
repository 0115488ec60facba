// Package password is the password sign-in method of bazis-authing
// (AUTH_CODE "password"):
//
//   - POST {prefix}/password/: a JSON login into the request's store,
//     answered by a 303 to GET {prefix}/auth/;
//   - POST {prefix}/password/token/ and the bazis-users token URL
//     (BAZIS_OPENAPI_TOKEN_URL, default /api/openapi-token/): the OAuth2
//     password form, answered by a session token directly.
//
// Credentials are checked as Django's ModelBackend does (exact username,
// password hash, is_active), with the same work for an unknown user, an
// inactive user and a wrong password, so that none can be told apart.
package password
