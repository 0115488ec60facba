// Package authing is a sign-in service that speaks the HTTP contract of the
// Python packages bazis-authing 2.6 and bazis-users, so that every existing
// Bazis client works against it unchanged.
//
// The package is a plain net/http handler: New builds a Service from a Config,
// a Store (short-lived sign-in state), a Users database and the login Methods,
// and the Service can be mounted in any ServeMux under any prefix. The package
// imports the standard library only; production stores, user databases and
// login methods live in subpackages and are passed in as values.
//
// The two token kinds of Bazis are both HMAC-signed JWTs:
//
//   - a store token, payload exactly {"sub":"<64 hex key>"} and no "exp",
//     names a server-side Store entry of one sign-in in progress;
//   - a session token, payload {"sub":username,"iat","exp","auth_type"?},
//     is what a signed-in client sends to downstream services.
//
// A token with "exp" is never a store token and a token without it is never
// a session token.
package authing
