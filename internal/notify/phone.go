package notify

import (
	"errors"
	"strings"
)

// ErrInvalidPhone is the error of a number that is not a Vietnamese mobile number.
var ErrInvalidPhone = errors.New("not a Vietnamese mobile number (want 0912345678 or 84912345678)")

// NormalizePhone reads a Vietnamese mobile number as people write it — "0912 345 678",
// "091.234.5678", "+84 912 345 678", "(+84) 912-345-678", "84912345678" — and returns it in the
// international form without "+" that Zalo and the SMS gateways take ("84912345678"). Since the
// 2018 renumbering every mobile number is 0 + nine digits whose first is 3, 5, 7, 8 or 9; landlines
// (02…) and the old eleven-digit numbers (01…) cannot receive a brand-name SMS or a Zalo
// notification, so they are refused: a message to them fails for good instead of being retried.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && (i == 0 || strings.TrimSpace(s[:i]) == "("):
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", ErrInvalidPhone
		}
	}
	d := b.String()
	switch {
	case len(d) == 10 && d[0] == '0':
		d = "84" + d[1:]
	case len(d) == 11 && strings.HasPrefix(d, "84"):
	case len(d) == 12 && strings.HasPrefix(d, "840"):
		// "+84 0912…": the trunk 0 written after the country code.
		d = "84" + d[3:]
	default:
		return "", ErrInvalidPhone
	}
	switch d[2] {
	case '3', '5', '7', '8', '9':
		return d, nil
	}
	return "", ErrInvalidPhone
}

// LocalPhone returns a normalised number ("84912345678") in the national form "0912345678".
func LocalPhone(normalized string) string {
	if strings.HasPrefix(normalized, "84") {
		return "0" + normalized[2:]
	}
	return normalized
}
