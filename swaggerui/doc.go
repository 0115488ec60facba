// Package swaggerui serves Swagger UI for the authing API, from files
// embedded in the binary (nothing is loaded from a CDN). Its "Authorize"
// button uses the OAuth2 password flow that the OpenAPI document declares
// ({prefix}/password/token/), and "Try it out" calls the API with the
// session token as a bearer token.
//
//	mux.Handle("/api/swagger/", swaggerui.Handler(swaggerui.Options{SpecURL: "/api/v1/authing/openapi.json"}))
//
// The files in dist/ are swagger-ui-dist 5.35.0 from the npm registry
// (Apache License 2.0, see dist/LICENSE and dist/NOTICE; the bundled
// libraries' notices are in dist/swagger-ui-bundle.js.LICENSE.txt): only the
// bundle, its stylesheet and an icon are kept. index.html and init.js are
// authing's.
package swaggerui
