package oidc

import (
	"net/http"
	"strings"

	"authing.dev/authing"
)

var _ authing.OpenAPIDescriber = (*Method)(nil)

// DescribeOpenAPI implements authing.OpenAPIDescriber: the init, callback
// and verify routes of the provider.
func (m *Method) DescribeOpenAPI(api *authing.OpenAPI) {
	s := api.Service()
	p := m.p
	tags := []string{p.Code}
	id := func(op string) string { // google_auth_init as Bazis names its routes
		if p.Code == "google" {
			return "google_auth_" + op
		}
		return strings.NewReplacer(":", "_", "-", "_").Replace(p.Code) + "_" + op
	}
	page := map[string]any{"description": "The closing page: \"" + authing.TextGoogleFinished + "\" and a script that closes the window. " +
		"It never holds a token. On a successful sign-in it sets the store cookie; on a failure the error (" + p.ErrorCode +
		") is recorded in the store and no cookie is set: the application polls GET /auth/ to learn the outcome.",
		"content": map[string]any{"text/html": map[string]any{}},
		"headers": map[string]any{"Set-Cookie": authing.OpenAPIHeader("The store cookie, after a successful sign-in only.", false)}}
	storeErrors := authing.OpenAPIErrorResponse("No store token (\"Token required\"), not a store token (\"Token is invalid\") or no such store (\"Token has been expired\"): ERR_UNAUTHORIZED.")
	api.AddOperation(authing.Operation{
		Method: http.MethodGet, Path: s.Path(p.InitPath), ID: id("init"), Tags: tags,
		Summary: "Start a " + p.Label + " sign-in in a browser window",
		Description: "Open it in a window with ?" + s.Config().CookieName + "=<store token>. Makes a one-time state for the store, " +
			"sets a cookie that binds the state to this browser, and redirects to the provider (PKCE, nonce).",
		Parameters: api.TokenParameters(),
		Responses: map[string]any{
			"302": authing.OpenAPIResponse("To the provider's authorization endpoint.", nil, map[string]any{
				"Location":   authing.OpenAPIHeader("The provider's authorization URL (never with the store token).", true),
				"Set-Cookie": authing.OpenAPIHeader("The browser binding cookie of the state.", true),
			}),
			"200": page,
			"401": storeErrors,
		},
	})
	api.AddOperation(authing.Operation{
		Method: http.MethodGet, Path: s.Path(p.CallbackPath), ID: id("callback"), Tags: tags,
		Summary:     "The provider's redirect back (the registered redirect URI)",
		Description: "Claims the state, checks the browser binding, exchanges the code, verifies the ID token and signs the store in.",
		Parameters: []any{
			map[string]any{"name": "state", "in": "query", "required": false, "schema": map[string]any{"type": "string"}},
			map[string]any{"name": "code", "in": "query", "required": false, "schema": map[string]any{"type": "string"}},
		},
		Responses: map[string]any{
			"200": page,
			"400": authing.OpenAPIErrorResponse("\"" + DetailMissingState + "\" or \"" + DetailInvalidState + "\" (used, expired, or another request won)."),
			"401": authing.OpenAPIErrorResponse("The store of the state no longer exists: ERR_UNAUTHORIZED \"Token has been expired\"."),
		},
	})
	str := map[string]any{"type": "string"}
	api.AddOperation(authing.Operation{
		Method: http.MethodPost, Path: s.Path(p.VerifyPath), ID: id("verify"), Tags: tags,
		Summary: "Sign the request's store in with the tokens of a mobile SDK",
		Description: "Needs a store token. The ID token is verified (issuer, audience, expiry, signature; no nonce: the SDK chose it). " +
			"Without a body the tokens are read from the query (deprecated). Answers 303 to GET /auth/ whether the sign-in succeeded or not.",
		Parameters: append(api.TokenParameters(),
			map[string]any{"name": "id_token", "in": "query", "required": false, "deprecated": true, "schema": str},
			map[string]any{"name": "access_token", "in": "query", "required": false, "deprecated": true, "schema": str}),
		RequestBody: map[string]any{"required": false, "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"type": "object", "required": []string{"id_token", "access_token"},
				"properties": map[string]any{"id_token": str, "access_token": str}}}}},
		Responses: map[string]any{
			"303": authing.OpenAPIResponse("To GET /auth/, success or failure alike.", nil, map[string]any{
				"Location":   authing.OpenAPIHeader("The path of GET /auth/.", true),
				"Set-Cookie": authing.OpenAPIHeader("The store cookie.", true),
			}),
			"400": authing.OpenAPIErrorResponse("No body and no tokens in the query: \"" + DetailMissingToken + "\"."),
			"401": storeErrors,
			"422": authing.OpenAPIResponse("Malformed JSON (before the token is checked) or a missing or non-string field.",
				authing.OpenAPIRef(authing.OpenAPISchemaValidationErrors), nil),
		},
	})
}
