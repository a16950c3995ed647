package sheet

import (
	"bytes"
	"testing"
)

// FuzzReadTable feeds arbitrary bytes (CSV-like and zip-like) to the table reader: it must never
// panic or run away, and it must honour its row limit.
func FuzzReadTable(f *testing.F) {
	var xlsx bytes.Buffer
	WriteXLSX(&xlsx, Table{Name: "Câu hỏi", Header: []string{"category", "type", "question", "A", "B", "correct"}, Rows: [][]any{{"dvc", "single", "Cổng DVC quốc gia là gì?", "Một trang web", "Một ứng dụng", "A"}}})
	f.Add(xlsx.Bytes())
	f.Add([]byte("category,type,question,A,B,C,D,correct\nan toàn,single,Mật khẩu mạnh?,a,b,c,d,B\n"))
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00"))
	f.Add([]byte("a,\"b\nc"))
	lim := Limits{MaxBytes: 1 << 20, MaxUncompressed: 4 << 20, MaxEntries: 100, MaxRows: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, rows, err := ReadTable(bytes.NewReader(data), lim)
		if err == nil && len(rows) > lim.MaxRows {
			t.Fatalf("%d rows past the limit", len(rows))
		}
	})
}
