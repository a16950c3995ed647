package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// boardRow is one line of the figures page's leaderboard.
type boardRow struct {
	Text  string  `json:"text"`
	Share float64 `json:"share"` // -1 without a headcount
}

// TestTrainingTargetsBrowser (issue 19, targets as shares): the demo's figures show "% hoàn
// thành" from its headcounts; the demo province's administrator downloads the headcount template, imports a headcount file, sets the target at 80 %; the
// figures page shows "% hoàn thành" beside the counts and ranks the leaderboard by it; the
// workspace lists the units below the target. Every page fits 360 px and passes axe.
func TestTrainingTargetsBrowser(t *testing.T) {
	srv := StartServer(t, WithDemo())
	base := srv.URL
	d, err := db.Open(context.Background(), srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var courseID int64
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT id FROM training_courses WHERE title = ?", demo.DemoCourseTitle).Scan(&courseID); err != nil {
		t.Fatal(err)
	}
	// The headcount file, as the Department fills the template in: pupils and youth members of
	// three districts (Ba Tơ, whose learner passed the demo course; the city of Quảng Ngãi; Sơn Tây),
	// replacing the demo's counts of those groups there.
	f := excelize.NewFile()
	rows := [][]any{{"Mã đơn vị hoặc Mã tổ chức", "Nhóm", "Số người"},
		{"535", "học sinh", 16}, {"535", "đoàn viên thanh niên", 4}, {"522", "học sinh", 120}, {"530", "đoàn viên thanh niên", 35}}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "so-nguoi.xlsx")
	if err := f.SaveAs(file); err != nil {
		t.Fatal(err)
	}

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	Login(t, ctx, base, "so.tttt", demo.Password)
	if status := Open(t, ctx, fmt.Sprintf("%s/courses/%d/figures", base, courseID)); status != 200 {
		t.Fatalf("figures: %d", status)
	}
	// The demo as loaded has headcounts and the 80 % target: every district's "% hoàn thành" is
	// known, none a dash, at 1280 px and on a phone.
	shares := func() []string {
		return Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#figures tbody tr .completed-share")).map(function(c){ return c.textContent.trim(); })`)
	}
	if got := shares(); len(got) < 13 {
		t.Errorf("the demo's shares: %q", got)
	} else {
		for _, v := range got {
			if !strings.HasSuffix(v, "%") {
				t.Errorf("the demo's shares: %q", got)
				break
			}
		}
	}
	Screenshot(t, ctx, "figures-demo-1280")
	Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Open(t, ctx, fmt.Sprintf("%s/courses/%d/figures", base, courseID))
	NoSidewaysScroll(t, ctx, "the demo's figures at 360px")
	Screenshot(t, ctx, "figures-demo-360")
	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	Open(t, ctx, fmt.Sprintf("%s/courses/%d/figures", base, courseID))
	if status := Follow(t, ctx, "#targets-link"); status != 200 {
		t.Fatalf("targets page: %d", status)
	}
	if href := Eval[string](t, ctx, `document.getElementById("headcount-template").getAttribute("href")`); href != "/training/targets/template" {
		t.Errorf("template link %q", href)
	}
	Do(t, ctx, chromedp.SetUploadFiles("#headcount-file", []string{file}, chromedp.NodeVisible))
	if status := Follow(t, ctx, "#headcount-import"); status != 200 {
		t.Fatalf("import: %d", status)
	}
	if got := Text(t, ctx, "#headcounts"); !strings.Contains(got, "Huyện Ba Tơ") || !strings.Contains(got, "120") {
		t.Errorf("the headcounts after the import: %q", got)
	}
	Type(t, ctx, "#target-percent", "80")
	if status := Follow(t, ctx, "#target-save"); status != 200 {
		t.Fatalf("target: %d", status)
	}
	if got := Text(t, ctx, "#targets"); !strings.Contains(got, "80 %") {
		t.Errorf("the target after saving: %q", got)
	}
	reportViolations(t, "targets page at 1280px", auditPage(t, ctx))
	Screenshot(t, ctx, "targets-1280")

	// The figures: "% hoàn thành" beside the counts, Ba Tơ's share known, the leaderboard by share.
	Open(t, ctx, fmt.Sprintf("%s/courses/%d/figures", base, courseID))
	if got := Text(t, ctx, "#figures thead"); !strings.Contains(got, "% hoàn thành") || !strings.Contains(got, "% đạt") {
		t.Errorf("figures header %q", got)
	}
	baTo := Eval[string](t, ctx, `(function(){ var out = "";
		document.querySelectorAll("#figures tbody tr").forEach(function(tr){
			if (tr.cells[0].textContent.indexOf("Ba Tơ") >= 0) out = tr.querySelector(".completed-share").textContent; });
		return out; })()`)
	if !strings.HasSuffix(baTo, "%") || baTo == "0.0%" {
		t.Errorf("Ba Tơ's %% hoàn thành: %q", baTo)
	}
	if got := Text(t, ctx, "#totals"); !strings.Contains(got, "Chỉ tiêu: 80 % hoàn thành") {
		t.Errorf("totals %q", got)
	}
	board := Eval[[]boardRow](t, ctx, `Array.from(document.querySelectorAll("#leaderboard li")).map(function(li){
		var m = li.textContent.match(/· ([0-9.]+)% hoàn thành/); return {text: li.textContent, share: m ? parseFloat(m[1]) : -1}; })`)
	if len(board) < 4 || !strings.Contains(board[0].Text, "Ba Tơ") {
		t.Fatalf("leaderboard %+v", board)
	}
	for i := 1; i < len(board); i++ {
		if board[i].Share > board[i-1].Share || (board[i-1].Share < 0 && board[i].Share >= 0) {
			t.Errorf("leaderboard not by share at %d: %+v", i, board)
		}
	}
	// The demo gives every district a headcount (internal/demo, loadHeadcounts): none is unknown.
	for _, r := range board {
		if r.Share < 0 {
			t.Errorf("a district without a share: %+v", r)
		}
	}
	reportViolations(t, "figures page at 1280px", auditPage(t, ctx))
	Screenshot(t, ctx, "figures-1280")

	// The workspace: the places below 80 %.
	Open(t, ctx, base+"/workspace")
	below := Eval[string](t, ctx, `(function(){ var li = document.querySelector('#ws-province .ws-task[data-task="targets"]'); return li ? li.textContent : ""; })()`)
	// Every district and the seven schools and youth unions with a headcount of the course's
	// groups are below it; the lowest are named first (Ba Tơ, at 5 %, is not among them).
	if !strings.Contains(below, "Dưới chỉ tiêu 80 %") || !strings.Contains(below, "20 đơn vị, cơ quan dưới chỉ tiêu") ||
		!strings.Contains(below, "Huyện Bình Sơn: 0.0% hoàn thành") || strings.Contains(below, "Huyện Ba Tơ") {
		t.Errorf("the workspace's below-target task: %q", below)
	}
	reportViolations(t, "workspace at 1280px", auditPage(t, ctx))
	Screenshot(t, ctx, "workspace-1280")

	// The province's dashboard: the training section gives "% hoàn thành" against the 80 % target.
	if status := Open(t, ctx, base+"/dashboard/units/51"); status != 200 {
		t.Fatalf("dashboard: %d", status)
	}
	if got := Text(t, ctx, "main"); !strings.Contains(got, "% hoàn thành — "+demo.DemoCourseTitle) {
		t.Errorf("the dashboard has no %% hoàn thành: %q", got)
	}
	Screenshot(t, ctx, "dashboard-1280")

	// On a phone.
	Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	for _, p := range []struct{ name, path string }{
		{"targets", "/training/targets"},
		{"figures", fmt.Sprintf("/courses/%d/figures", courseID)},
		{"workspace", "/workspace"},
	} {
		if status := Open(t, ctx, base+p.path); status != 200 {
			t.Fatalf("%s: %d", p.path, status)
		}
		NoSidewaysScroll(t, ctx, p.name+" at 360px")
		reportViolations(t, p.name+" at 360px", auditPage(t, ctx))
		Screenshot(t, ctx, p.name+"-360")
	}
}
