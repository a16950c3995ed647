package ceremony

import (
	"testing"
	"unicode/utf8"
)

// FuzzSniffSpeech: whatever the bytes, the sniffer answers one of the three kinds or refuses, and
// never panics; a stored name is valid UTF-8, bounded, and ends with its kind's extension.
func FuzzSniffSpeech(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n"), "Diễn văn.pdf")
	f.Add([]byte("PK\x03\x04garbage"), `..\..\a"b.docx`)
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		ct, err := sniffSpeech(data)
		if err != nil {
			return
		}
		ext, ok := SpeechExt[ct]
		if !ok {
			t.Fatalf("unknown kind %q", ct)
		}
		n := cleanFileName(name, ct)
		if !utf8.ValidString(n) || utf8.RuneCountInString(n) > maxFileName+len(ext) || n[len(n)-len(ext):] != ext {
			t.Fatalf("file name %q", n)
		}
	})
}
