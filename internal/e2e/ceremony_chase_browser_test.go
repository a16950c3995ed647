package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCeremonyChaseBrowser: a district administrator sees the district's points and reminds a
// commune's point that is not ready; a second reminder within 30 minutes is refused with a clear
// message; "remind all" skips the point just reminded; another district's points are not shown.
func TestCeremonyChaseBrowser(t *testing.T) {
	admin := NewBrowser(t)
	srv := StartServer(t)
	const adminUser, adminPass = "tinh.dondoc", "Tinh-DonDoc-2024"
	const districtUser, districtPass = "huyen.bato", "Huyen-BaTo-2024"
	srv.CreateUser(t, adminUser, adminPass, "province_admin", "51")
	srv.CreateUser(t, districtUser, districtPass, "unit_admin", "535")
	_, communeName := firstCommuneOf(t, "535")
	base := srv.URL

	Login(t, admin, base, adminUser, adminPass)
	path := createCeremonyInBrowser(t, admin, base, "Lễ phát động (đôn đốc)", 48*time.Hour)
	Follow(t, admin, "#generate-points")
	WaitFor(t, admin, "187 points", `document.body.innerText.includes("Số điểm cầu: 187")`)

	district := NewContext(t, admin)
	Login(t, district, base, districtUser, districtPass)
	Open(t, district, base+path)
	if status := Follow(t, district, "#chase-link"); status != 200 {
		t.Fatalf("readiness page: %d", status)
	}
	rows := Eval[[]string](t, district, `Array.from(document.querySelectorAll("#chase-points tbody tr")).map(r => r.innerText)`)
	if len(rows) < 2 || !strings.Contains(rows[0], "Ba Tơ") {
		t.Fatalf("district admin sees %q", rows)
	}
	row := fmt.Sprintf(`Array.from(document.querySelectorAll("#chase-points tr[data-point-id]")).find(r => r.innerText.includes(%q))`, communeName)
	pid := Eval[string](t, district, row+`.dataset.pointId`)
	// Nobody to remind yet: refused with a message.
	if status := Follow(t, district, `button[data-chase="`+pid+`"]`); status != 409 {
		t.Fatalf("chase without recipients: %d", status)
	}
	if msg := Text(t, district, "main .error"); !strings.Contains(msg, "không có ai để nhắc") {
		t.Fatalf("refusal %q", msg)
	}
	// The district's administrator enters the point's technical contact.
	Open(t, district, base+path+"/points/"+pid)
	Type(t, district, "#p-phone", "0912 345 678")
	// The form saves through the API, then reloads the page.
	if status := Follow(t, district, `#point-form button[type=submit]`); status != 200 {
		t.Fatalf("save the point: %d", status)
	}
	if v := Eval[string](t, district, `document.querySelector("#p-phone").defaultValue`); v != "0912 345 678" {
		t.Fatalf("saved phone %q", v)
	}

	Open(t, district, base+path+"/readiness")
	if status := Follow(t, district, `button[data-chase="`+pid+`"]`); status != 200 {
		t.Fatalf("chase: %d; page says %q", status, Eval[string](t, district, `document.body.innerText`))
	}
	if msg := Text(t, district, "main .flash"); !strings.Contains(msg, "Đã gửi nhắc nhở (1 tin)") {
		t.Fatalf("flash %q", msg)
	}
	if last := Eval[string](t, district, row+`.querySelector("[data-last-chased]").innerText`); strings.TrimSpace(last) == "—" || last == "" {
		t.Fatalf("last chased %q", last)
	}
	Screenshot(t, district, "chase-sent")
	// Again: refused, with when it may be sent again.
	if status := Follow(t, district, `button[data-chase="`+pid+`"]`); status != 409 {
		t.Fatalf("second chase: %d", status)
	}
	if msg := Text(t, district, "main .error"); !strings.Contains(msg, "chỉ được nhắc lại từ") {
		t.Fatalf("too-soon message %q", msg)
	}
	// Remind all: the point just reminded is skipped, the others have nobody to remind.
	Open(t, district, base+path+"/readiness")
	if status := Follow(t, district, "#chase-all"); status != 200 {
		t.Fatalf("chase all: %d", status)
	}
	if msg := Text(t, district, "main .flash"); !strings.Contains(msg, "Đã nhắc 0 điểm cầu") || !strings.Contains(msg, "1 điểm cầu vừa được nhắc") {
		t.Fatalf("chase-all flash %q", msg)
	}
	// Another district is out of scope: nothing to see.
	Open(t, district, base+path+"/readiness?district=534")
	if n := Eval[int](t, district, `document.querySelectorAll("#chase-points tbody tr").length`); n != 0 {
		t.Fatalf("district admin sees %d points of Sơn Tây", n)
	}
	// The province sees every district and the reminder's time.
	Open(t, admin, base+path+"/readiness?district=535")
	if last := Eval[string](t, admin, row+`.querySelector("[data-last-chased]").innerText`); strings.TrimSpace(last) == "—" {
		t.Fatal("the province does not see the last reminder")
	}
}
