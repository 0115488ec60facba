package authing

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Validation error texts, as Pydantic words them (English regardless of the
// language, as in Bazis).
const (
	titleMissing        = "missing"
	detailMissing       = "Field required"
	titleStringType     = "string_type"
	detailStringType    = "Input should be a valid string"
	titleModelAttrs     = "model_attributes_type"
	detailModelAttrs    = "Input should be a valid dictionary or object to extract fields from"
	titleJSONInvalid    = "json_invalid"
	detailJSONInvalid   = "JSON decode error"
	codeValidate        = "ERR_VALIDATE"
	detailBodyTooLarge  = "Request body too large"
	detailBodyUnreadble = "Request body could not be read"
)

// JSONBody is a request body read by ReadJSONBody. Bazis checks a body in two
// steps: malformed JSON is refused before anything else (even before the
// token), field validation comes after the token check. ReadJSONBody is the
// first step and Strings the second.
type JSONBody struct {
	isJSON bool                       // the content type is JSON
	empty  bool                       // no body, or JSON null
	obj    map[string]json.RawMessage // the object, when the body is one
}

// IsJSONContentType reports whether a Content-Type is application/json or
// any application/*+json, the types whose bodies FastAPI parses as JSON.
func IsJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt == "application/json" {
		return true
	}
	const p, sfx = "application/", "+json"
	return len(mt) > len(p)+len(sfx) && mt[:len(p)] == p && mt[len(mt)-len(sfx):] == sfx
}

// ReadJSONBody reads the request body (bounded by Config.MaxBodyBytes). It
// fails with the 422 json_invalid answer when the content type is JSON and the
// body is not, and with 413 when the body is too large.
func ReadJSONBody(r *http.Request) (*JSONBody, error) {
	b := &JSONBody{isJSON: IsJSONContentType(r.Header.Get("Content-Type"))}
	var raw []byte
	if r.Body != nil {
		var err error
		raw, err = io.ReadAll(r.Body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, HTTPError(http.StatusRequestEntityTooLarge, "", detailBodyTooLarge)
			}
			return nil, HTTPError(http.StatusBadRequest, "", detailBodyUnreadble)
		}
	}
	if len(raw) == 0 {
		b.empty = true
		return b, nil
	}
	if !b.isJSON {
		return b, nil
	}
	if pos, deep := jsonTooDeep(raw, MaxJSONDepth); deep {
		ptr := "/" + strconv.Itoa(utf8.RuneCount(raw[:pos]))
		return nil, &Error{HTTPStatus: http.StatusUnprocessableEntity, Objects: []ErrorObject{{
			Status: http.StatusUnprocessableEntity, Title: titleJSONInvalid, Code: codeValidate,
			Detail: detailJSONTooDeep, Source: &ErrorSource{Pointer: &ptr}}}}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF { // trailing data
			err = &json.SyntaxError{Offset: dec.InputOffset() + 1}
		}
	}
	if err != nil {
		return nil, jsonInvalid(raw, err)
	}
	switch v := v.(type) {
	case nil:
		b.empty = true
	case map[string]any:
		b.obj = make(map[string]json.RawMessage, len(v))
		_ = json.Unmarshal(raw, &b.obj)
	}
	return b, nil
}

// MaxJSONDepth bounds the nesting of JSON bodies: a body with arrays or
// objects nested deeper is refused with 422 json_invalid before it is
// decoded. The sign-in bodies are flat objects.
const MaxJSONDepth = 32

const detailJSONTooDeep = "JSON nested too deeply"

// jsonTooDeep reports whether raw nests arrays and objects deeper than
// limit, and the byte offset of the first bracket too deep. Brackets inside
// strings do not count; the rest of the syntax is left to the decoder.
func jsonTooDeep(raw []byte, limit int) (int, bool) {
	depth, inString, escaped := 0, false, false
	for i, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return i, true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return 0, false
}

// jsonInvalid builds the 422 json_invalid answer; its pointer is the
// character position of the error, as Python's json module reports it.
func jsonInvalid(raw []byte, err error) *Error {
	pos := len(raw)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && int(se.Offset) <= len(raw) {
		pos = int(se.Offset) - 1
	}
	ptr := "/" + strconv.Itoa(utf8.RuneCount(raw[:pos]))
	return &Error{HTTPStatus: http.StatusUnprocessableEntity, Cause: err, Objects: []ErrorObject{{
		Status: http.StatusUnprocessableEntity, Title: titleJSONInvalid, Code: codeValidate,
		Detail: detailJSONInvalid, Source: &ErrorSource{Pointer: &ptr}}}}
}

// Strings validates that the body is an object whose named fields are all
// strings and returns them; otherwise the 422 answer lists every problem in
// field order, with Pydantic's titles and texts. Other keys are ignored.
func (b *JSONBody) Strings(names ...string) (map[string]string, error) {
	root := ""
	switch {
	case b.empty:
		return nil, validationError(ErrorObject{Title: titleMissing, Detail: detailMissing, Source: &ErrorSource{Pointer: &root}})
	case b.obj == nil:
		return nil, validationError(ErrorObject{Title: titleModelAttrs, Detail: detailModelAttrs, Source: &ErrorSource{Pointer: &root}})
	}
	out := make(map[string]string, len(names))
	var problems []ErrorObject
	for _, n := range names {
		raw, ok := b.obj[n]
		ptr := "/" + n
		if !ok {
			problems = append(problems, ErrorObject{Title: titleMissing, Detail: detailMissing, Source: &ErrorSource{Pointer: &ptr}})
			continue
		}
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			problems = append(problems, ErrorObject{Title: titleStringType, Detail: detailStringType, Source: &ErrorSource{Pointer: &ptr}})
			continue
		}
		out[n] = s
	}
	if len(problems) > 0 {
		return nil, validationError(problems...)
	}
	return out, nil
}

// Empty reports whether there was no body (or JSON null).
func (b *JSONBody) Empty() bool { return b.empty }

func validationError(objs ...ErrorObject) *Error {
	for i := range objs {
		objs[i].Status = http.StatusUnprocessableEntity
		objs[i].Code = codeValidate
	}
	return &Error{HTTPStatus: http.StatusUnprocessableEntity, Objects: objs}
}

// FormField describes one field of a form body for ReadForm.
type FormField struct {
	Name     string
	Required bool
	// Pattern, when set, is a value the field must equal exactly when given
	// (FastAPI's pattern "^password$" for grant_type).
	Exactly string
}

// ReadForm reads an application/x-www-form-urlencoded or multipart/form-data
// body and validates the fields as FastAPI's Form parameters do: a missing or
// empty required field is "missing". Problems are one 422 answer.
func ReadForm(r *http.Request, fields ...FormField) (map[string]string, error) {
	var err error
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		err = r.ParseMultipartForm(32 << 10)
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, HTTPError(http.StatusRequestEntityTooLarge, "", detailBodyTooLarge)
		}
		return nil, HTTPError(http.StatusBadRequest, "", detailBodyUnreadble)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	out := make(map[string]string, len(fields))
	var problems []ErrorObject
	for _, f := range fields {
		var v string
		if r.PostForm != nil {
			if vs := r.PostForm[f.Name]; len(vs) > 0 {
				v = vs[len(vs)-1]
			}
		}
		ptr := "/" + f.Name
		switch {
		case v == "" && f.Required:
			problems = append(problems, ErrorObject{Title: titleMissing, Detail: detailMissing, Source: &ErrorSource{Pointer: &ptr}})
		case v != "" && f.Exactly != "" && v != f.Exactly:
			problems = append(problems, ErrorObject{Title: "string_pattern_mismatch",
				Detail: "String should match pattern '^" + f.Exactly + "$'", Source: &ErrorSource{Pointer: &ptr}})
		default:
			out[f.Name] = v
		}
	}
	if len(problems) > 0 {
		return nil, validationError(problems...)
	}
	return out, nil
}
