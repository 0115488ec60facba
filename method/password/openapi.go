package password

import (
	"net/http"

	"authing.dev/authing"
)

var _ authing.OpenAPIDescriber = (*Method)(nil)

// DescribeOpenAPI implements authing.OpenAPIDescriber: POST /password/, the
// token endpoints and the OAuth2 password-flow security scheme whose token
// URL is {prefix}/password/token/ (Swagger UI's "Authorize").
func (m *Method) DescribeOpenAPI(api *authing.OpenAPI) {
	s := api.Service()
	str := map[string]any{"type": "string"}
	tokenURL := s.Path("/password/token/")
	api.AddSecurityScheme(authing.OpenAPISecurityBearer, map[string]any{
		"type":        "oauth2",
		"description": "A session token from the OAuth2 password form, sent as Authorization: Bearer.",
		"flows":       map[string]any{"password": map[string]any{"tokenUrl": tokenURL, "scopes": map[string]any{}}},
	})
	tags := []string{"password"}
	storeCookie := authing.OpenAPIHeader("The store cookie: <name>=<store token>; HttpOnly; Max-Age=<claim lifetime on success, cookie lifetime on failure>; Path=/; SameSite=lax[; Secure].", true)
	api.AddOperation(authing.Operation{
		Method: http.MethodPost, Path: s.Path("/password/"), ID: "password_auth", Tags: tags,
		Summary: "Sign the request's store in with a username and password",
		Description: "Needs a store token (query, Authorization: Bearer or cookie). Resets the store, checks the credentials, " +
			"signs the store in or records USERNAME_PASSWORD_ERROR (or TOO_MANY_ATTEMPTS), and answers 303 to GET /auth/ either way: " +
			"follow it with the same token to get the session (once) or the error.",
		Parameters: api.TokenParameters(),
		RequestBody: authing.OpenAPIJSONBody(map[string]any{
			"type": "object", "required": []string{"username", "password"},
			"properties": map[string]any{"username": str, "password": map[string]any{"type": "string", "format": "password"}},
		}),
		Responses: map[string]any{
			"303": authing.OpenAPIResponse("To GET /auth/, success or failure alike.", nil, map[string]any{
				"Location":   authing.OpenAPIHeader("The path of GET /auth/ (never with a token).", true),
				"Set-Cookie": storeCookie,
			}),
			"401": authing.OpenAPIErrorResponse("No store token (\"Token required\"), not a store token (\"Token is invalid\") or no such store (\"Token has been expired\"): ERR_UNAUTHORIZED."),
			"422": authing.OpenAPIResponse("Malformed JSON (before the token is checked) or a missing or non-string field.",
				authing.OpenAPIRef(authing.OpenAPISchemaValidationErrors), nil),
		},
	})
	token := func(path, id, summary string) {
		api.AddOperation(authing.Operation{
			Method: http.MethodPost, Path: path, ID: id, Tags: tags, Summary: summary,
			Description: "The OAuth2 password form; no store, no cookie. Answers a session token with auth_type \"password\".",
			RequestBody: authing.OpenAPIFormBody(map[string]any{
				"type": "object", "required": []string{"username", "password"},
				"properties": map[string]any{
					"grant_type": map[string]any{"type": "string", "pattern": "^password$"},
					"username":   str, "password": map[string]any{"type": "string", "format": "password"},
					"scope": str, "client_id": str, "client_secret": map[string]any{"type": "string", "format": "password"},
				},
			}),
			Responses: map[string]any{
				"200": authing.OpenAPIResponse("A session token.", map[string]any{
					"type": "object", "required": []string{"access_token", "token_type"}, "additionalProperties": false,
					"properties": map[string]any{"access_token": str, "token_type": map[string]any{"const": "bearer"}},
				}, nil),
				"401": authing.OpenAPIResponse("Credentials are invalid (an HTTP exception with WWW-Authenticate: Bearer).",
					authing.OpenAPIRef(authing.OpenAPISchemaHTTPException),
					map[string]any{"WWW-Authenticate": authing.OpenAPIHeader("Bearer", true)}),
				"422": authing.OpenAPIResponse("A missing field, or grant_type other than \"password\".",
					authing.OpenAPIRef(authing.OpenAPISchemaValidationErrors), nil),
				"429": authing.OpenAPIResponse("Too many attempts: TOO_MANY_ATTEMPTS.", authing.OpenAPIRef(authing.OpenAPISchemaHTTPException),
					map[string]any{"Retry-After": authing.OpenAPIHeader("Seconds to wait.", true)}),
			},
		})
	}
	token(tokenURL, "token_auth", "A session token for a username and password")
	if u := s.Config().OpenAPITokenURL; u != "-" {
		token(u, "openapi_token", "A session token (the bazis-users token URL, BAZIS_OPENAPI_TOKEN_URL)")
	}
}
