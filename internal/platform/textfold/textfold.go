// Package textfold folds Vietnamese text for search: lower case, no diacritics, đ → d, so that
// "ba to" finds "Huyện Ba Tơ" and the old ("Hòa") and new ("Hoà") tone-mark placements match.
package textfold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns the search key of s: lower case, without combining marks, with đ as d and runs of
// white space collapsed to one space.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), " ")
}

// LikePattern turns a user's query into a LIKE pattern over folded text, with LIKE's wildcards
// escaped by backslash (use `ESCAPE '\'`).
func LikePattern(query string) string {
	f := Fold(query)
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(f) + "%"
}

// Slug makes an ASCII identifier from a Vietnamese name: "Thôn Gò Da" → "thon-go-da".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range Fold(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}
