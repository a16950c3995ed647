package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestCeremonyDelegatesBrowser: a district administrator invites a delegate to the district's
// point, corrects the name, then withdraws the invitation; another district's administrator
// cannot open the delegate.
func TestCeremonyDelegatesBrowser(t *testing.T) {
	admin := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, "tinh.daibieu", "Tinh-DaiBieu-2024", "province_admin", "51")
	srv.CreateUser(t, "huyen.bato.db", "Huyen-BaTo-2024", "unit_admin", "535")
	srv.CreateUser(t, "huyen.sontay.db", "Huyen-SonTay-2024", "unit_admin", "534")
	base := srv.URL
	Login(t, admin, base, "tinh.daibieu", "Tinh-DaiBieu-2024")
	path := createCeremonyInBrowser(t, admin, base, "Lễ phát động (đại biểu)", 48*time.Hour)
	Follow(t, admin, "#generate-points")
	WaitFor(t, admin, "187 points", `document.body.innerText.includes("Số điểm cầu: 187")`)

	district := NewContext(t, admin)
	Login(t, district, base, "huyen.bato.db", "Huyen-BaTo-2024")
	Open(t, district, base+path)
	pointURL := Eval[string](t, district, `Array.from(document.querySelectorAll("#my-points a")).find(a => a.innerText.includes("Ba Tơ")).href`)
	Open(t, district, pointURL)
	Type(t, district, "#d-name", "Trần Văn Hai")
	Type(t, district, "#d-position", "Chủ tịch UBND huyện")
	if status := Follow(t, district, `#delegate-form button[type=submit]`); status != 200 {
		t.Fatalf("add delegate: %d", status)
	}
	if got := Text(t, district, "#delegates"); !strings.Contains(got, "Trần Văn Hai") {
		t.Fatalf("delegates %q", got)
	}
	if status := Follow(t, district, "#delegates a[data-edit-delegate]"); status != 200 {
		t.Fatalf("edit page: %d", status)
	}
	editURL := Eval[string](t, district, `location.href`)
	// A bad phone is refused on the field.
	Type(t, district, "#de-phone", "=cmd|x")
	if status := Follow(t, district, "#delegate-save"); status != 422 {
		t.Fatalf("bad phone: %d", status)
	}
	Type(t, district, "#de-phone", "0905 111 222")
	Type(t, district, "#de-name", "Trần Văn Hải")
	if status := Follow(t, district, "#delegate-save"); status != 200 {
		t.Fatalf("save delegate: %d", status)
	}
	if got := Text(t, district, "#delegates"); !strings.Contains(got, "Trần Văn Hải") {
		t.Fatalf("after edit %q", got)
	}
	// Another district's administrator cannot see it.
	other := NewContext(t, admin)
	Login(t, other, base, "huyen.sontay.db", "Huyen-SonTay-2024")
	if status := Open(t, other, editURL); status != 404 {
		t.Fatalf("Sơn Tây opens Ba Tơ's delegate: %d", status)
	}
	// Withdraw the invitation.
	Open(t, district, editURL)
	if status := Follow(t, district, "#delegate-delete"); status != 200 {
		t.Fatalf("delete: %d", status)
	}
	if n := Eval[int](t, district, `document.querySelectorAll("#delegates tbody tr").length`); n != 0 {
		t.Fatalf("%d delegates left", n)
	}
	if msg := Text(t, district, "main .flash"); !strings.Contains(msg, "Đã xóa đại biểu") {
		t.Fatalf("flash %q", msg)
	}
}
