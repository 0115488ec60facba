// Package authingtest holds the exported conformance suites of authing and
// test doubles, so that third parties can test their own backends and
// deployments the way this repository tests its own:
//
//   - TestStore: any authing.Store (expiry, empty versus missing, copies,
//     idempotent delete, and concurrent claims of which exactly one wins);
//   - TestUsers: any authing.UserDirectory; TestLinks: account links;
//   - TestWire: the HTTP scenarios of the Bazis wire contract against any
//     running server (an httptest server, the authing binary, or Bazis);
//   - Users (and LinkingUsers): in-memory user databases; Clock: a test
//     clock to share between a Service, a store and a user database.
package authingtest
