// Package authingtest holds the exported conformance suites of authing and
// test doubles, so that third parties can test their own backends and
// deployments the way this repository tests its own:
//
//   - TestStore: any authing.Store (expiry, empty versus missing, copies,
//     idempotent delete, and concurrent claims of which exactly one wins);
//   - TestUsers: any authing.UserDirectory;
//   - TestWire: the HTTP scenarios of the Bazis wire contract against any
//     running server (an httptest server, the authing binary, or Bazis);
//   - Users: an in-memory authing.UserDirectory.
package authingtest
