// Package vnphone reads Vietnamese mobile numbers as people write them in rosters and forms
// ("0905 123 123", "+84 905.123.123", "84905123123") and keeps them in one national form, so that a
// number typed on the sign-in page finds the number imported from a spreadsheet.
package vnphone

import (
	"regexp"
	"strings"
)

// mobileRe is a mobile number in its national form: 0, then a mobile prefix digit (3, 5, 7, 8, 9
// since the 2018 renumbering), then eight digits.
var mobileRe = regexp.MustCompile(`^0[35789][0-9]{8}$`)

// Normalize turns a Vietnamese mobile number into its 10-digit national form: spaces, dots,
// dashes and brackets are dropped, +84 / 84 becomes 0, and the leading 0 a spreadsheet dropped
// (905123123) is put back. It reports false for anything else.
func Normalize(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	p := b.String()
	switch {
	case strings.HasPrefix(p, "+84"):
		p = "0" + p[3:]
	case strings.HasPrefix(p, "84") && len(p) == 11:
		p = "0" + p[2:]
	case len(p) == 9 && strings.ContainsRune("35789", rune(p[0])):
		// A spreadsheet that took the number for a number dropped its leading zero.
		p = "0" + p
	}
	return p, mobileRe.MatchString(p)
}

// Mask hides the middle of a phone number for lists and exports: 0905123123 → 0905***123.
func Mask(p string) string {
	if len(p) < 8 {
		if p == "" {
			return ""
		}
		return "***"
	}
	return p[:4] + "***" + p[len(p)-3:]
}
