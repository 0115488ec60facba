package authing

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The Service describes its API as an OpenAPI 3.1 document served at
// {prefix}/openapi.json. The core routes (GET /auth/, POST /logout/) are
// described here; a Method describes its own routes by implementing
// OpenAPIDescriber. A route of a method that does not describe itself is
// still listed, with an "undocumented" operation, so that the document names
// every endpoint the Service answers.

// OpenAPIDescriber is implemented by methods that describe their routes in
// the Service's OpenAPI document. DescribeOpenAPI is called after every
// method has registered; it adds operations (and any schemas or security
// schemes they use) to api. Operations for routes that the method did not
// register are left out.
type OpenAPIDescriber interface {
	DescribeOpenAPI(api *OpenAPI)
}

// Operation is one OpenAPI operation: a method on an absolute path (the
// prefix included, as Service.Path gives it). Parameters, RequestBody and the
// Responses values are OpenAPI objects as JSON-encodable values; the
// OpenAPI* helpers build the common ones.
type Operation struct {
	Method      string // GET, POST, ...
	Path        string // absolute, e.g. svc.Path("/password/")
	ID          string // operationId
	Summary     string
	Description string
	Tags        []string
	Parameters  []any
	RequestBody any
	// Responses by status code ("200", "303", ...). Every operation also
	// documents 500 and 503 (a backing service failed) and, when it has a
	// request body, 413; those are added when absent.
	Responses map[string]any
	// Security requirements; nil means none declared.
	Security []map[string][]string
}

// OpenAPI collects the document of a Service. Methods receive it in
// DescribeOpenAPI.
type OpenAPI struct {
	svc      *Service
	ops      map[string]map[string]Operation // path → method → operation
	schemas  map[string]any
	security map[string]any
}

// Names of the shared component schemas.
const (
	// OpenAPISchemaErrors is the Bazis JSON:API error envelope.
	OpenAPISchemaErrors = "Errors"
	// OpenAPISchemaError is one member of its "errors" array.
	OpenAPISchemaError = "ErrorObject"
	// OpenAPISchemaValidationErrors is the 422 envelope of request validation.
	OpenAPISchemaValidationErrors = "ValidationErrors"
	// OpenAPISchemaHTTPException is the single-error envelope of an HTTP
	// exception that carries headers (meta.headers), e.g. the 401 of the
	// token endpoints with WWW-Authenticate: Bearer.
	OpenAPISchemaHTTPException = "HTTPException"
	// OpenAPISchemaAction is a login or logout action.
	OpenAPISchemaAction = "Action"
	// OpenAPISecurityBearer is the name of the OAuth2 password-flow scheme
	// that the password method declares (bazis-users' OAuth2PasswordBearer).
	OpenAPISecurityBearer = "OAuth2PasswordBearer"
)

// Service returns the service being described (for Path and Config).
func (a *OpenAPI) Service() *Service { return a.svc }

// AddOperation adds or replaces the operation of op.Method on op.Path.
func (a *OpenAPI) AddOperation(op Operation) {
	op.Method = strings.ToUpper(op.Method)
	if a.ops[op.Path] == nil {
		a.ops[op.Path] = map[string]Operation{}
	}
	a.ops[op.Path][op.Method] = op
}

// AddSchema adds a component schema and returns a reference to it.
func (a *OpenAPI) AddSchema(name string, schema any) map[string]any {
	a.schemas[name] = schema
	return OpenAPIRef(name)
}

// AddSecurityScheme adds a security scheme (an OpenAPI Security Scheme
// Object). GET /auth/ and POST /logout/ accept every declared scheme, or
// none.
func (a *OpenAPI) AddSecurityScheme(name string, scheme any) { a.security[name] = scheme }

// OpenAPIRef is a reference to a component schema.
func OpenAPIRef(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// OpenAPIResponse is a response with a JSON body of the given schema (nil
// for none) and headers (name → OpenAPI Header Object, see OpenAPIHeader).
func OpenAPIResponse(description string, schema any, headers map[string]any) map[string]any {
	r := map[string]any{"description": description}
	if schema != nil {
		r["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
	}
	if len(headers) > 0 {
		r["headers"] = headers
	}
	return r
}

// OpenAPIErrorResponse is a response whose body is the error envelope.
func OpenAPIErrorResponse(description string) map[string]any {
	return OpenAPIResponse(description, OpenAPIRef(OpenAPISchemaErrors), nil)
}

// OpenAPIHeader is a response header of type string.
func OpenAPIHeader(description string, required bool) map[string]any {
	h := map[string]any{"description": description, "schema": map[string]any{"type": "string"}}
	if required {
		h["required"] = true
	}
	return h
}

// OpenAPIJSONBody is a required JSON request body of the given schema. It
// accepts application/json and application/vnd.api+json (the Bazis test
// client's type; any application/*+json is accepted).
func OpenAPIJSONBody(schema any) map[string]any {
	mt := map[string]any{"schema": schema}
	return map[string]any{"required": true, "content": map[string]any{
		"application/json": mt, "application/vnd.api+json": mt}}
}

// OpenAPIFormBody is a required form body (urlencoded or multipart) of the
// given object schema.
func OpenAPIFormBody(schema any) map[string]any {
	mt := map[string]any{"schema": schema}
	return map[string]any{"required": true, "content": map[string]any{
		"application/x-www-form-urlencoded": mt, "multipart/form-data": mt}}
}

// TokenParameters are the parameters of the token carriers other than
// the Authorization header (which the security schemes describe): the query
// parameter and the cookie named by Config.CookieName.
func (a *OpenAPI) TokenParameters() []any {
	n := a.svc.cfg.CookieName
	return []any{
		map[string]any{"name": n, "in": "query", "required": false, "schema": map[string]any{"type": "string"},
			"description": "A store or session token. The first non-empty carrier wins, in the order query, Authorization: Bearer, cookie; an invalid one is not passed over."},
		map[string]any{"name": n, "in": "cookie", "required": false, "schema": map[string]any{"type": "string"},
			"description": "The store cookie (HttpOnly), set by GET /auth/ and the sign-in redirects."},
	}
}

// OpenAPI returns the OpenAPI 3.1 document of the service, as served at
// {prefix}/openapi.json.
func (s *Service) OpenAPI() []byte {
	b, err := json.Marshal(s.openAPIDocument())
	if err != nil { // a method put something unencodable in its description
		s.log.Error("authing: encoding the OpenAPI document", "error", err)
		return []byte(`{"openapi":"3.1.0","info":{"title":"authing","version":"2.6"},"paths":{}}`)
	}
	return b
}

// OpenAPIPath is where the document is served, relative to the prefix.
const OpenAPIPath = "/openapi.json"

// serveOpenAPI registers GET {prefix}/openapi.json. It is called by New
// after the methods have registered.
func (s *Service) serveOpenAPI() {
	// Built on first use: a method may finish its set-up after New.
	doc := sync.OnceValue(s.OpenAPI)
	path := s.cfg.Prefix + OpenAPIPath
	s.mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		doc := doc()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(doc)))
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.Write(doc)
	})
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, HTTPError(http.StatusMethodNotAllowed, "", "Method Not Allowed", "Allow", "GET, HEAD"))
	})
}

func (s *Service) openAPIDocument() map[string]any {
	a := &OpenAPI{svc: s, ops: map[string]map[string]Operation{}, schemas: map[string]any{}, security: map[string]any{}}
	a.addCore()
	for _, m := range s.methods {
		if d, ok := m.(OpenAPIDescriber); ok {
			d.DescribeOpenAPI(a)
		}
	}
	// Every registered route is listed; described operations of routes that
	// are not registered are dropped.
	paths := map[string]any{}
	var scopes []map[string][]string
	for name := range a.security {
		scopes = append(scopes, map[string][]string{name: {}})
	}
	slices.SortFunc(scopes, func(x, y map[string][]string) int { return strings.Compare(firstKey(x), firstKey(y)) })
	for path, methods := range s.routes {
		item := map[string]any{}
		for _, m := range methods {
			op, ok := a.ops[path][m]
			if !ok {
				op = Operation{Method: m, Path: path, Summary: "Undocumented route",
					Description: "A route of a sign-in method that does not describe itself (it does not implement authing.OpenAPIDescriber).",
					Responses:   map[string]any{"default": map[string]any{"description": "Any answer of the method."}}}
			}
			if op.Security == nil && (path == s.Path("/auth/") || path == s.Path("/logout/")) && len(scopes) > 0 {
				op.Security = append(slices.Clone(scopes), map[string][]string{})
			}
			item[strings.ToLower(m)] = a.operationObject(op)
		}
		paths[path] = item
	}
	paths[s.cfg.Prefix+OpenAPIPath] = map[string]any{"get": map[string]any{
		"operationId": "openapi", "summary": "This OpenAPI document", "tags": []string{"authing"},
		"responses": map[string]any{"200": map[string]any{"description": "The OpenAPI 3.1 document.",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}},
	}}
	components := map[string]any{"schemas": a.schemas}
	if len(a.security) > 0 {
		components["securitySchemes"] = a.security
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "authing",
			"version": "2.6",
			"description": "The Bazis sign-in API (bazis-authing 2.6 and the token endpoint of bazis-users), served by authing. " +
				"Every error is the Bazis JSON:API envelope {\"errors\":[…]}; the HTTP status of the response is not derived from the statuses inside it " +
				"(GET /auth/ answers 400 with an error of status 401 when the caller is not signed in).",
		},
		"paths":      paths,
		"components": components,
	}
}

func firstKey(m map[string][]string) string {
	for k := range m {
		return k
	}
	return ""
}

func (a *OpenAPI) operationObject(op Operation) map[string]any {
	responses := map[string]any{}
	for k, v := range op.Responses {
		responses[k] = v
	}
	if _, isDefault := responses["default"]; !isDefault {
		if _, ok := responses["500"]; !ok {
			responses["500"] = OpenAPIErrorResponse("Internal error ({\"errors\":[{\"status\":500}]}).")
		}
		if _, ok := responses["503"]; !ok {
			responses["503"] = OpenAPIResponse("A backing service (store, user database, identity provider) failed: SERVICE_UNAVAILABLE.",
				OpenAPIRef(OpenAPISchemaErrors), map[string]any{"Retry-After": OpenAPIHeader("Seconds to wait.", true)})
		}
		if _, ok := responses["413"]; !ok && op.RequestBody != nil {
			responses["413"] = OpenAPIErrorResponse("The request body is too large.")
		}
	}
	o := map[string]any{"responses": responses}
	set := func(k string, v any, ok bool) {
		if ok {
			o[k] = v
		}
	}
	set("operationId", op.ID, op.ID != "")
	set("summary", op.Summary, op.Summary != "")
	set("description", op.Description, op.Description != "")
	set("tags", op.Tags, len(op.Tags) > 0)
	set("parameters", op.Parameters, len(op.Parameters) > 0)
	set("requestBody", op.RequestBody, op.RequestBody != nil)
	set("security", op.Security, op.Security != nil)
	return o
}

// addCore adds the shared schemas and the core operations.
func (a *OpenAPI) addCore() {
	str := map[string]any{"type": "string"}
	a.AddSchema(OpenAPISchemaError, map[string]any{
		"type": "object", "required": []string{"status"}, "additionalProperties": false,
		"description": "One error. Members are serialized in this order and absent when empty.",
		"properties": map[string]any{
			"status": map[string]any{"type": "integer", "description": "An HTTP-like status, not necessarily the response's (401 inside a 400, 100 for a next action)."},
			"title":  str,
			"code":   map[string]any{"type": "string", "examples": []string{"UNAUTHORIZED", "ERR_UNAUTHORIZED", "ERR_VALIDATE", "USERNAME_PASSWORD_ERROR"}},
			"detail": str,
			"source": map[string]any{"type": "object", "additionalProperties": false,
				"properties": map[string]any{"pointer": str, "parameter": str}},
			"meta":      map[string]any{"type": "object"},
			"traceback": str,
		},
	})
	a.AddSchema(OpenAPISchemaErrors, map[string]any{
		"type": "object", "required": []string{"errors"}, "additionalProperties": false,
		"description": "The Bazis JSON:API error envelope.",
		"properties": map[string]any{"errors": map[string]any{"type": "array", "minItems": 1,
			"items": OpenAPIRef(OpenAPISchemaError)}},
	})
	a.AddSchema(OpenAPISchemaValidationErrors, map[string]any{
		"type": "object", "required": []string{"errors"}, "additionalProperties": false,
		"description": "Request validation errors: one per problem, titled with the Pydantic error type.",
		"properties": map[string]any{"errors": map[string]any{"type": "array", "minItems": 1,
			"items": map[string]any{"allOf": []any{OpenAPIRef(OpenAPISchemaError), map[string]any{
				"required":   []string{"status", "title", "code", "detail", "source"},
				"properties": map[string]any{"status": map[string]any{"const": 422}, "code": map[string]any{"const": "ERR_VALIDATE"}},
			}}}}},
	})
	a.AddSchema(OpenAPISchemaHTTPException, map[string]any{
		"type": "object", "required": []string{"errors"}, "additionalProperties": false,
		"description": "An HTTP exception that carries headers: they are also in meta.headers.",
		"properties": map[string]any{"errors": map[string]any{"type": "array", "minItems": 1, "maxItems": 1,
			"items": map[string]any{"allOf": []any{OpenAPIRef(OpenAPISchemaError), map[string]any{
				"required": []string{"status", "detail", "meta"},
				"properties": map[string]any{"meta": map[string]any{"type": "object", "required": []string{"headers"},
					"properties": map[string]any{"headers": map[string]any{"type": "object", "additionalProperties": str}}}},
			}}}}},
	})
	a.AddSchema(OpenAPISchemaAction, map[string]any{
		"type": "object", "required": []string{"url", "method"},
		"properties": map[string]any{"code": str, "name": str, "url": str, "method": str},
	})
	nullableStr := map[string]any{"type": []string{"string", "null"}}
	session := a.AddSchema("Session", map[string]any{
		"type": "object", "additionalProperties": false,
		"required":    []string{"user_id", "username", "first_name", "last_name", "email", "token", "logout_actions"},
		"description": "A signed-in user and a new session token (all keys always present, in this order).",
		"properties": map[string]any{
			"user_id":    map[string]any{"type": []string{"string", "integer"}, "description": "Primary key (a UUID string)."},
			"username":   str,
			"first_name": nullableStr,
			"last_name":  nullableStr,
			"email":      nullableStr,
			"token":      map[string]any{"type": "string", "description": `Session JWT {"sub","iat","exp","auth_type"?}.`},
			"logout_actions": map[string]any{"type": []string{"array", "null"}, "items": OpenAPIRef(OpenAPISchemaAction),
				"description": "Logout actions of the sign-in method; null for the built-in methods."},
		},
	})
	anonymous := a.AddSchema("NotAuthorized", map[string]any{
		"type": "object", "required": []string{"errors"}, "additionalProperties": false,
		"description": "The anonymous answer of GET /auth/: first the UNAUTHORIZED error with the login actions and a store token, " +
			"then a status-100 \"Next action\" when the store has one, then one status-422 error per sign-in error of the store.",
		"properties": map[string]any{"errors": map[string]any{"type": "array", "minItems": 1,
			"prefixItems": []any{map[string]any{"allOf": []any{OpenAPIRef(OpenAPISchemaError), map[string]any{
				"required": []string{"status", "title", "code", "detail", "meta"},
				"properties": map[string]any{
					"status": map[string]any{"const": 401},
					"code":   map[string]any{"const": "UNAUTHORIZED"},
					"meta": map[string]any{"type": "object", "required": []string{"actions", "token"}, "additionalProperties": false,
						"properties": map[string]any{
							"actions": map[string]any{"type": "array", "items": OpenAPIRef(OpenAPISchemaAction)},
							"token":   map[string]any{"type": "string", "description": `The store token {"sub":"<64 hex>"}.`},
						}},
				},
			}}}},
			"items": OpenAPIRef(OpenAPISchemaError)}},
	})
	setCookie := func(d string, required bool) map[string]any {
		return map[string]any{"Set-Cookie": OpenAPIHeader(d, required)}
	}
	tags := []string{"authing"}
	a.AddOperation(Operation{
		Method: http.MethodGet, Path: a.svc.Path("/auth/"), ID: "auth", Tags: tags,
		Summary: "Sign-in status: the session, or the login actions and a store token",
		Description: "With a valid session token: 200 and a fresh session token (refresh). With a signed-in store token: 200 once (the store is claimed). " +
			"Otherwise 400 with the login actions, the store token (the one given when it names a live store, else a new one) and the store's sign-in errors, " +
			"and the store cookie. Never 401.",
		Parameters: append(a.TokenParameters(), map[string]any{"name": "lang", "in": "query", "required": false,
			"schema": str, "description": "Language of the texts (else Accept-Language, else LANGUAGE_CODE)."}),
		Responses: map[string]any{
			"200": OpenAPIResponse("Signed in.", session, setCookie("The deletion cookie, when a store carried by the cookie was claimed.", false)),
			"400": OpenAPIResponse("Not signed in.", anonymous, setCookie("The store cookie: <name>=<store token>; HttpOnly; Max-Age=<s>; Path=/; SameSite=lax[; Secure].", true)),
		},
	})
	a.AddOperation(Operation{
		Method: http.MethodPost, Path: a.svc.Path("/logout/"), ID: "auth_logout", Tags: tags,
		Summary:     "Delete the stores named by the request",
		Description: "Deletes every store named by the query parameter, the bearer header or the cookie (session tokens are stateless and ignored). Always 204, with the deletion cookie.",
		Parameters:  a.TokenParameters(),
		Responses: map[string]any{
			"204": OpenAPIResponse("Done.", nil, setCookie(`The deletion cookie: <name>=""; expires=<now>; HttpOnly; Max-Age=0; Path=/; SameSite=lax[; Secure].`, true)),
		},
	})
}
