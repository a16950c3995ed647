package accounts

import (
	"bufio"
	"embed"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// The lists of common passwords refused wherever a password is chosen (validatePassword):
//
//   - passwords/zxcvbn-common.txt: the 49,233 most common passwords of the zxcvbn password
//     strength estimator, an unaltered copy (one per line) of passwords.json from the npm package
//     @zxcvbn-ts/language-common 4.1.3, MIT licence (passwords/zxcvbn-common.LICENSE.txt), itself
//     drawn from public leaks (Xato's ten million passwords and others) by Dropbox's zxcvbn;
//   - passwords/vi-common.txt: our own additions, Vietnamese passwords and the words they are
//     built from (matkhau, anhyeuem, the province's and the movement's names).
//
// Most entries are shorter than MinPasswordLen and refused by length already; they matter as the
// stems of longer passwords: a common word with a trivial ending (matkhau123456, iloveyou2023,
// vietnam@123) or repeated (matkhaumatkhau) is as guessable as the word.
//
//go:embed passwords/*.txt
var passwordFiles embed.FS

var commonPasswords = sync.OnceValue(func() []string {
	var list []string
	for _, name := range []string{"passwords/zxcvbn-common.txt", "passwords/vi-common.txt"} {
		f, err := passwordFiles.Open(name)
		if err != nil {
			panic(err) // embedded: cannot fail but by a broken build
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
				list = append(list, w)
			}
		}
		_ = f.Close()
	}
	slices.Sort(list)
	return slices.Compact(list)
})

func isCommonWord(w string) bool {
	_, ok := slices.BinarySearch(commonPasswords(), w)
	return ok
}

// keyboardWalks are the rows and columns people run a finger along.
var keyboardWalks = []string{"1234567890qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp"}

// CommonPassword tells whether a password is one people guess first: in the lists above, a
// list word with a trivial beginning or ending or repeated, one character or a short pattern
// repeated (aaaaaaaaaaaa, abcabcabcabc), or a run of the alphabet, the digits or the keyboard
// (123456789012, qwertyuiopas). Case, Vietnamese diacritics and spaces do not make a password
// less common ("Mật khẩu 123456" is matkhau123456).
func CommonPassword(password string) bool {
	p := strings.ReplaceAll(textfold.Fold(password), " ", "")
	if p == "" || trivial(p) || isCommonWord(p) {
		return true
	}
	if unit := period(p); unit != "" && isCommonWord(unit) {
		return true
	}
	// A list word inside trivial padding: strip what is not a letter at both ends.
	start := strings.IndexFunc(p, unicode.IsLetter)
	end := strings.LastIndexFunc(p, unicode.IsLetter)
	if start < 0 {
		return false
	}
	_, size := firstRune(p[end:])
	stem, head, tail := p[start:end+size], p[:start], p[end+size:]
	return len(stem) >= 3 && isCommonWord(stem) && trivialPad(head) && trivialPad(tail)
}

func firstRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}

// trivialPad tells whether what surrounds a word adds nothing to guess: nothing, symbols alone,
// or digits (symbols ignored) that are trivial or a year.
func trivialPad(s string) bool {
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		if unicode.IsLetter(r) {
			return 'x' // a letter here is not padding: let trivial judge the whole
		}
		return -1
	}, s)
	if digits == "" {
		return true
	}
	if len(digits) == 4 && (strings.HasPrefix(digits, "19") || strings.HasPrefix(digits, "20")) {
		return true
	}
	return trivial(digits)
}

// trivial tells whether s is one character or a pattern of at most four repeated, or a run of
// the alphabet, the digits or a keyboard row (either way, the digits wrapping 9 → 0).
func trivial(s string) bool {
	if len(s) <= 2 {
		return true
	}
	if u := period(s); u != "" && len(u) <= 4 {
		return true
	}
	if run(s, 1) || run(s, -1) {
		return true
	}
	for _, k := range keyboardWalks {
		if strings.Contains(k, s) || strings.Contains(reverse(k), s) {
			return true
		}
	}
	return false
}

// period returns the shortest unit that s repeats at least twice, "" when there is none.
func period(s string) string {
	for n := 1; n <= len(s)/2; n++ {
		if len(s)%n == 0 && strings.Repeat(s[:n], len(s)/n) == s {
			return s[:n]
		}
	}
	return ""
}

// run tells whether each byte of s is the one before it plus step (0 follows 9 going up).
func run(s string, step int) bool {
	for i := 1; i < len(s); i++ {
		a, b := int(s[i-1]), int(s[i])
		if b-a == step {
			continue
		}
		if step == 1 && a == '9' && b == '0' || step == -1 && a == '0' && b == '9' {
			continue
		}
		return false
	}
	return true
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}
