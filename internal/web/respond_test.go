package web

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/training"
)

// TestSavedAnswerJSON holds the answer save's hand-written encoding to what encoding/json writes,
// so the API's answer cannot drift from its documented shape.
func TestSavedAnswerJSON(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	for _, a := range []training.SavedAnswer{
		{AttemptID: 1, QuestionID: 2, Choices: []int64{3}, SavedAt: time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)},
		{AttemptID: 9007199254740993, QuestionID: -4, Choices: []int64{}, SavedAt: time.Date(2023, 7, 28, 8, 0, 0, 123456789, time.UTC)},
		{AttemptID: 5, QuestionID: 6, Choices: []int64{7, 80, 900}, SavedAt: time.Date(2025, 7, 28, 8, 0, 0, 120000000, hcm)},
		{AttemptID: 5, QuestionID: 6, Choices: nil},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(true)
		if err := enc.Encode(a); err != nil {
			t.Fatal(err)
		}
		if got := savedAnswerJSON(nil, a); string(got) != want.String() {
			t.Errorf("%+v:\n got %s\nwant %s", a, got, want.String())
		}
	}
}
