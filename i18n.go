package authing

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Texts of the Bazis sign-in API that have translations. Only the texts that
// Bazis translates are translated; details such as "Credentials are invalid"
// of bazis-authing stay English, as in Bazis.
const (
	TextUnauthorized   = "User is not authorized."
	TextNextAction     = "Next action"
	TextAuthError      = "Authentication error"
	TextLoginPassword  = "Login/Password"
	TextGoogleAuth     = "Google Authentication"
	TextGoogleFinished = "The sign-in is finished: return to the application."
)

var catalogs = map[string]map[string]string{
	"ru": {
		TextUnauthorized:   "Пользователь не авторизован",
		TextNextAction:     "Следующее действие",
		TextAuthError:      "Ошибка аутентификации",
		TextLoginPassword:  "Логин/пароль",
		TextGoogleFinished: "Вход завершён: вернитесь в приложение.",
		// "Google Authentication" is a fuzzy entry in the Bazis catalog: it stays English.
	},
}

// Translate returns msg in lang, or msg itself when there is no translation.
// Methods use it for their action names.
func Translate(lang, msg string) string {
	if t, ok := catalogs[lang][msg]; ok {
		return t
	}
	return msg
}

// Language returns the language of the request: the "lang" query parameter,
// else the best Accept-Language entry, else the configured LanguageCode; only
// languages listed in Config.Languages are chosen.
func (s *Service) Language(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if c, ok := s.matchLanguage(l); ok {
			return c
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		for _, l := range parseAcceptLanguage(al) {
			if c, ok := s.matchLanguage(l); ok {
				return c
			}
		}
	}
	return s.cfg.LanguageCode
}

func (s *Service) matchLanguage(tag string) (string, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	base, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	for _, l := range s.cfg.Languages {
		if l == tag {
			return l, true
		}
	}
	for _, l := range s.cfg.Languages {
		if l == base {
			return l, true
		}
	}
	return "", false
}

// parseAcceptLanguage returns the language tags of an Accept-Language header
// by descending quality (q=0 entries dropped); at most 16 entries are read.
func parseAcceptLanguage(h string) []string {
	type entry struct {
		tag string
		q   float64
		i   int
	}
	var es []entry
	for i, part := range strings.SplitN(h, ",", 17) {
		if i == 16 {
			break
		}
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if q <= 0 {
			continue
		}
		es = append(es, entry{tag, q, i})
	}
	sort.SliceStable(es, func(a, b int) bool { return es[a].q > es[b].q })
	tags := make([]string, len(es))
	for i, e := range es {
		tags[i] = e.tag
	}
	return tags
}
