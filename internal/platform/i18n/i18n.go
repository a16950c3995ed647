// Package i18n holds the message catalogs. Vietnamese is the default and the reference: every key
// exists in every locale (a test checks it). Domains add their own catalog files under
// locales/<lang>/; files of one language are merged.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Locales Lan Tỏa speaks, default first.
var Locales = []string{"vi", "en"}

// Default is the locale used when none is chosen.
const Default = "vi"

//go:embed locales
var files embed.FS

// Catalog maps a key to its message in one locale.
type Catalog map[string]string

// Bundle holds all catalogs.
type Bundle struct {
	catalogs map[string]Catalog
}

// Load reads every catalog; a duplicated key across files of one language is an error.
func Load() (*Bundle, error) {
	b := &Bundle{catalogs: map[string]Catalog{}}
	for _, lang := range Locales {
		cat := Catalog{}
		dir := path.Join("locales", lang)
		entries, err := fs.ReadDir(files, dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			data, err := fs.ReadFile(files, path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s/%s: %w", lang, e.Name(), err)
			}
			for k, v := range m {
				if _, dup := cat[k]; dup {
					return nil, fmt.Errorf("i18n: key %q defined twice in %s", k, lang)
				}
				cat[k] = v
			}
		}
		b.catalogs[lang] = cat
	}
	return b, nil
}

// MustLoad is Load for program start, where a broken catalog is a build defect.
func MustLoad() *Bundle {
	b, err := Load()
	if err != nil {
		panic(err)
	}
	return b
}

// Supported normalises a requested locale to one Lan Tỏa has, falling back to the default.
func Supported(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	for _, l := range Locales {
		if l == lang {
			return l
		}
	}
	return Default
}

// Msg is an argument that is itself a message key, translated into the same language as the
// message it fills (a state's name inside an error, say), so no code word leaks into the text.
type Msg string

// T translates key into lang, filling %-verbs with args. A missing key shows the key itself so
// that the defect is visible rather than a blank.
func (b *Bundle) T(lang, key string, args ...any) string {
	msg, ok := b.catalogs[Supported(lang)][key]
	if !ok {
		msg, ok = b.catalogs[Default][key]
	}
	if !ok {
		return key
	}
	n := countVerbs(msg)
	if n == 0 {
		// A message without verbs writes a percent sign as %%, as fmt does ("80 %%", "%% hoàn
		// thành"): a lone % followed by a letter would read as a verb.
		return strings.ReplaceAll(msg, "%%", "%")
	}
	// Callers pass context (a code, a line) that not every language's message uses, and a
	// message may name more than its caller knows: fit the arguments to the message.
	fitted := make([]any, n)
	for i := range fitted {
		if i < len(args) {
			fitted[i] = args[i]
			if k, ok := args[i].(Msg); ok {
				fitted[i] = b.T(lang, string(k))
			}
		} else {
			fitted[i] = ""
		}
	}
	return fmt.Sprintf(msg, fitted...)
}

func countVerbs(msg string) int {
	n := 0
	for i := 0; i < len(msg)-1; i++ {
		if msg[i] == '%' {
			if msg[i+1] == '%' {
				i++
				continue
			}
			n++
		}
	}
	return n
}

// Translator turns a catalog key into text in one reader's language. It is the one way an
// export layout (a sheet, a PDF) is given its words, so that a domain's layouts translate without
// knowing about requests, locales or the bundle; tests pass a closure.
type Translator func(key string, args ...any) string

// Translator is the translator of lang.
func (b *Bundle) Translator(lang string) Translator {
	return func(key string, args ...any) string { return b.T(lang, key, args...) }
}

// Has tells whether key exists in lang.
func (b *Bundle) Has(lang, key string) bool {
	_, ok := b.catalogs[lang][key]
	return ok
}

// Keys lists the keys of lang, sorted.
func (b *Bundle) Keys(lang string) []string {
	keys := make([]string, 0, len(b.catalogs[lang]))
	for k := range b.catalogs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
