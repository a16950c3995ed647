package e2e

import (
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestCeremonyDemoBrowser: `serve --demo` has the plan's ceremony of 28/07/2023, launched, and the
// coming one a few days ahead with its default programme still open to edits, 187 points generated
// from the unit tree, some ready, delegates at the main site, and the demo operator diemcau.bato
// running Ba Tơ's point.
func TestCeremonyDemoBrowser(t *testing.T) {
	b := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL

	Login(t, b, base, "so.tttt", demo.Password)
	Open(t, b, base+"/ceremonies")
	listed := Eval[[]string](t, b, `Array.from(document.querySelectorAll("#ceremonies tbody tr")).map(r => r.cells[0].innerText + "|" + r.cells[r.cells.length-1].innerText)`)
	if len(listed) != 2 || listed[1] != demo.PlanCeremonyTitle+"|28/07/2023 08:30" || listed[0] != demo.ComingCeremonyTitle+"|—" {
		t.Fatalf("demo ceremonies %q, want the coming one, then the plan's launched on 28/07/2023", listed)
	}
	if status := Follow(t, b, "#ceremonies tbody tr:first-child a"); status != 200 {
		t.Fatalf("demo ceremony: %d", status)
	}
	path := Eval[string](t, b, `location.pathname`)
	if got := Text(t, b, "h1"); got != demo.ComingCeremonyTitle {
		t.Fatalf("demo ceremony title %q", got)
	}
	if n := Eval[int](t, b, `document.querySelectorAll("#steps li").length`); n != 5 {
		t.Fatalf("demo programme has %d steps", n)
	}
	if !strings.Contains(Text(t, b, "main"), "Số điểm cầu: 187") {
		t.Fatal("demo points not generated")
	}
	Open(t, b, base+path+"/edit")
	if n := Eval[int](t, b, `document.querySelectorAll("#edit-locked").length`); n != 0 {
		t.Errorf("the coming ceremony's programme is locked: %s", Text(t, b, "#edit-locked"))
	}
	Open(t, b, base+path+"/control")
	if ready := Eval[string](t, b, `document.querySelector('[data-count="ready"]').textContent`); ready == "0" {
		t.Fatal("no demo point is ready")
	}
	mainURL := Eval[string](t, b, `document.querySelector("#points tbody tr a").href`)
	Open(t, b, mainURL)
	if n := Eval[int](t, b, `document.querySelectorAll("#delegates tbody tr").length`); n < 2 {
		t.Fatalf("main site has %d demo delegates", n)
	}

	op := NewContext(t, b)
	Login(t, op, base, "diemcau.bato", demo.Password)
	Open(t, op, base+path)
	rows := Eval[[]string](t, op, `Array.from(document.querySelectorAll("#my-points tbody tr")).map(r => r.innerText)`)
	if len(rows) != 1 || !strings.Contains(rows[0], "Ba Tơ") {
		t.Fatalf("demo operator's points %q", rows)
	}
	Follow(t, op, "#my-points tbody a")
	if st := Text(t, op, "#point-state"); st != "Chưa sẵn sàng" {
		t.Fatalf("Ba Tơ's point is %q, want it left for the operator", st)
	}
}
