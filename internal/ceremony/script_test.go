package ceremony_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
)

// lastProgramme reads the latest "programme" event of the ceremony.
func lastProgramme(t *testing.T, f *fixture) (ceremony.ProgrammeData, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	last, err := f.bus.LastID(ctx, ceremony.Topic(f.ceremID))
	if err != nil {
		t.Fatal(err)
	}
	ch, stop := f.bus.Subscribe(ctx, ceremony.Topic(f.ceremID), 0)
	defer stop()
	var out ceremony.ProgrammeData
	found := false
	for ev := range ch {
		if ev.Name == "programme" {
			found = json.Unmarshal(ev.Data, &out) == nil
		}
		if ev.ID >= last {
			break
		}
	}
	return out, found
}

func TestProgrammeOnTheDay(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		// Before the day, the script's fields are stored and read back.
		f.now = f.starts.Add(-72 * time.Hour)
		steps := []ceremony.Step{
			{Title: "Tuyên bố lý do", Speaker: "  Chánh Văn phòng   UBND tỉnh ", DurationMin: 5, MCLines: "Kính thưa các đồng chí,\r\ntrân trọng giới thiệu…", Notes: "Màn hình LED bật slide 1"},
			{Title: "Phát biểu khai mạc", Speaker: "Chủ tịch UBND tỉnh", DurationMin: 15},
			{Title: "Nhấn nút phát động", DurationMin: 5},
			{Title: "Văn nghệ", DurationMin: 10},
		}
		c, err := f.svc.ReplaceSteps(f.sys, f.ceremID, steps)
		if err != nil {
			t.Fatal(err)
		}
		if st := c.Steps[0]; st.Speaker != "Chánh Văn phòng UBND tỉnh" || st.DurationMin != 5 || st.MCLines != "Kính thưa các đồng chí,\ntrân trọng giới thiệu…" || st.Notes != "Màn hình LED bật slide 1" {
			t.Fatalf("script fields: %+v", st)
		}
		if auditCount(t, d, "ceremony.steps_on_day") != 0 {
			t.Fatal("an edit before the day was audited as on the day")
		}
		// On the day, steps 1 and 2 have run (2 is under way).
		f.now = f.starts.Add(20 * time.Minute)
		if _, err := f.svc.SetStep(f.sys, f.ceremID, 2); err != nil {
			t.Fatal(err)
		}
		if n := f.svc.FixedSteps(mustFind(t, f)); n != 2 {
			t.Fatalf("fixed steps: %d", n)
		}
		// The next step's title changes: 200, audited, on every screen.
		edited := append([]ceremony.Step(nil), c.Steps...)
		edited[2].Title = "Nghi lễ nhấn nút phát động Phong trào"
		c, err = f.svc.ReplaceSteps(f.sys, f.ceremID, edited)
		if err != nil || c.Steps[2].Title != "Nghi lễ nhấn nút phát động Phong trào" {
			t.Fatalf("on-day edit: %v %+v", err, c.Steps)
		}
		if auditCount(t, d, "ceremony.steps_on_day") != 1 {
			t.Fatal("on-day edit not audited")
		}
		if p, ok := lastProgramme(t, f); !ok || p.CurrentStep != 2 || p.CurrentTitle != "Phát biểu khai mạc" || p.NextTitle != "Nghi lễ nhấn nút phát động Phong trào" || len(p.Steps) != 4 {
			t.Fatalf("programme event: %v %+v", ok, p)
		}
		// Later steps are added, removed and reordered.
		if c, err = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepAdd, Title: "Bế mạc", Speaker: "MC"}); err != nil || len(c.Steps) != 5 {
			t.Fatalf("add on the day: %v", err)
		}
		if c, err = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepDown, Position: 3}); err != nil || c.Steps[2].Title != "Văn nghệ" {
			t.Fatalf("reorder on the day: %v %+v", err, c.Steps)
		}
		if c, err = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepDelete, Position: 5}); err != nil || len(c.Steps) != 4 {
			t.Fatalf("delete on the day: %v", err)
		}
		// A step already run, or under way, cannot change, be removed or moved: 409 naming it, nothing changed.
		before := mustFind(t, f).Steps
		changed := append([]ceremony.Step(nil), before...)
		changed[0].Notes = "đổi"
		for i, try := range []func() error{
			func() error { _, err := f.svc.ReplaceSteps(f.sys, f.ceremID, changed); return err },
			func() error { _, err := f.svc.ReplaceSteps(f.sys, f.ceremID, before[1:]); return err },
			func() error {
				_, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepUpdate, Position: 2, Title: "Phát biểu"})
				return err
			},
			func() error {
				_, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepDelete, Position: 1})
				return err
			},
			func() error {
				_, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepUp, Position: 3})
				return err
			},
		} {
			err := try()
			ae := apperr.As(err)
			if ae.Kind != apperr.Conflict || ae.Key != "ceremony.error.step_run" {
				t.Fatalf("run step %d changed: %v", i, err)
			}
			if msg := i18nVI(ae); !strings.Contains(msg, "đã diễn ra") || !strings.Contains(msg, "“"+before[ae.Args[0].(int)-1].Title+"”") {
				t.Fatalf("message does not name the step: %q", msg)
			}
		}
		if after := mustFind(t, f).Steps; len(after) != len(before) || after[0].Notes != before[0].Notes || after[1].Title != before[1].Title {
			t.Fatalf("a refused change changed the programme: %+v", after)
		}
		// After the day, nothing changes.
		f.now = f.starts.Add(20 * time.Hour)
		if _, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepAdd, Title: "x"}); apperr.As(err).Key != "ceremony.error.steps_over" {
			t.Fatalf("edit after the day: %v", err)
		}
	})
}

func mustFind(t *testing.T, f *fixture) ceremony.Ceremony {
	t.Helper()
	c, err := f.svc.Find(f.sys, f.ceremID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestScriptFieldLimits(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.now = f.starts.Add(-72 * time.Hour)
		for i, bad := range []struct {
			step  ceremony.Step
			field string
		}{
			{ceremony.Step{Title: "x", Speaker: strings.Repeat("ệ", ceremony.MaxText+1)}, "speaker"},
			{ceremony.Step{Title: "x", MCLines: strings.Repeat("ệ", ceremony.MaxMCLines+1)}, "mc_lines"},
			{ceremony.Step{Title: "x", Notes: strings.Repeat("ệ", ceremony.MaxNotes+1)}, "notes"},
			{ceremony.Step{Title: "x", DurationMin: -1}, "duration_min"},
			{ceremony.Step{Title: "x", DurationMin: ceremony.MaxDuration + 1}, "duration_min"},
			{ceremony.Step{Title: "x", Notes: "\xff\xfe"}, "notes"},
		} {
			_, err := f.svc.ReplaceSteps(f.sys, f.ceremID, []ceremony.Step{{Title: "ok"}, bad.step})
			if ae := apperr.As(err); ae.Kind != apperr.Invalid || ae.Field != bad.field || !strings.Contains(i18nVI(ae), "Mục 2") {
				t.Errorf("bad step %d: %v (%s)", i, err, i18nVI(ae))
			}
		}
		// At the limits, it is accepted.
		if _, err := f.svc.ReplaceSteps(f.sys, f.ceremID, []ceremony.Step{{Title: "x", Speaker: strings.Repeat("ệ", ceremony.MaxText),
			MCLines: strings.Repeat("ệ", ceremony.MaxMCLines), Notes: strings.Repeat("ệ", ceremony.MaxNotes), DurationMin: ceremony.MaxDuration}}); err != nil {
			t.Fatal(err)
		}
		// The script prints, over several pages when the MC lines are long, in Vietnamese.
		pdf, _, err := f.svc.Script(f.sys, f.ceremID)
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("script: %v", err)
		}
		if n := bytes.Count(pdf, []byte("/Type /Page\n")); n < 2 {
			t.Errorf("the long script has %d pages", n)
		}
		// Whoever does not follow the ceremony does not get it.
		if _, _, err := f.svc.Script(as(unitActor(authz.Learner, f.unit("51"))), f.ceremID); kindOf(err) != apperr.Forbidden {
			t.Errorf("a learner printed the script: %v", err)
		}
	})
}

func TestScriptRowsReckonTimes(t *testing.T) {
	at := time.Date(2025, 7, 28, 8, 0, 0, 0, ceremony.VietnamTime)
	rows := ceremony.ScriptRows([]ceremony.Step{{Title: "a", PlannedAt: at, DurationMin: 10}, {Title: "b", DurationMin: 5}, {Title: "c"}, {Title: "d"}})
	if !rows[1].At.Equal(at.Add(10*time.Minute)) || !rows[1].Reckoned || !rows[2].At.Equal(at.Add(15*time.Minute)) || !rows[3].At.IsZero() {
		t.Fatalf("rows: %+v", rows)
	}
}

func TestCancelAndArchive(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.now = f.starts.Add(-72 * time.Hour)
		// Archiving a ceremony still to come is refused; cancelling it works, audited.
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Archived); apperr.As(err).Key != "ceremony.error.archive_early" {
			t.Fatalf("archived early: %v", err)
		}
		if _, err := f.svc.SetStatus(as(unitActor(authz.UnitAdmin, f.unit("535"))), f.ceremID, ceremony.Cancelled); kindOf(err) != apperr.Forbidden {
			t.Fatalf("a district cancelled the ceremony: %v", err)
		}
		c, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Cancelled)
		if err != nil || c.Status != ceremony.Cancelled || auditCount(t, d, "ceremony.cancel") != 1 {
			t.Fatalf("cancel: %v %v", err, c.Status)
		}
		// Cancelled: no edit, no step, no launch (audited as refused), no speech.
		title := "Tên mới"
		for i, try := range []func() error{
			func() error { _, err := f.svc.Update(f.sys, f.ceremID, ceremony.Changes{Title: &title}); return err },
			func() error {
				_, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepAdd, Title: "x"})
				return err
			},
			func() error {
				_, err := f.svc.ReplaceSteps(f.sys, f.ceremID, []ceremony.Step{{Title: "x"}})
				return err
			},
			func() error { _, err := f.svc.SetStep(f.sys, f.ceremID, 1); return err },
			func() error {
				_, err := f.svc.AddSpeech(f.sys, f.ceremID, "a.pdf", "", []byte("%PDF-1.4\n"))
				return err
			},
		} {
			if err := try(); apperr.As(err).Key != "ceremony.error.cancelled" {
				t.Errorf("change %d of a cancelled ceremony: %v", i, err)
			}
		}
		f.now = f.starts.Add(-5 * time.Minute)
		if _, err := f.svc.Launch(f.sys, f.ceremID); apperr.As(err).Key != "ceremony.error.cancelled" {
			t.Fatalf("cancelled ceremony launched: %v", err)
		}
		if auditCount(t, d, "ceremony.launch_refused") != 1 {
			t.Fatal("refused launch not audited")
		}
		if c := mustFind(t, f); c.Launched() || c.Title == title {
			t.Fatalf("cancelled ceremony changed: %+v", c)
		}
		// Reinstated, it launches; launched, it cannot be cancelled.
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Scheduled); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Launch(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Cancelled); apperr.As(err).Key != "ceremony.error.cancel_launched" {
			t.Fatalf("launched ceremony cancelled: %v", err)
		}
		// Archived after its day: read-only, out of the current list, in the archived one.
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Archived); apperr.As(err).Key != "ceremony.error.archive_early" {
			t.Fatalf("archived on its day: %v", err)
		}
		f.now = f.starts.Add(24 * time.Hour)
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Archived); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Update(f.sys, f.ceremID, ceremony.Changes{Title: &title}); apperr.As(err).Key != "ceremony.error.archived" {
			t.Fatalf("archived ceremony edited: %v", err)
		}
		if _, err := f.svc.SetStatus(f.sys, f.ceremID, ceremony.Scheduled); apperr.As(err).Key != "ceremony.error.archived" {
			t.Fatalf("archived ceremony reinstated: %v", err)
		}
		if c, err := f.svc.Find(f.sys, f.ceremID); err != nil || c.Status != ceremony.Archived {
			t.Fatalf("archived ceremony not readable: %v", err)
		}
		if list, err := f.svc.List(f.sys); err != nil || len(list) != 0 {
			t.Fatalf("archived ceremony listed: %v %d", err, len(list))
		}
		if list, err := f.svc.ListArchived(f.sys); err != nil || len(list) != 1 {
			t.Fatalf("archived list: %v %d", err, len(list))
		}
		if _, ok, err := f.svc.PublicSummary(context.Background(), "51"); ok || err != nil {
			t.Fatalf("archived ceremony on the portal: %v %v", ok, err)
		}
		if auditCount(t, d, "ceremony.archive") != 1 || auditCount(t, d, "ceremony.reinstate") != 1 {
			t.Fatal("status changes not audited")
		}
	})
}

// docx builds a minimal OOXML word-processing package; odt a minimal OpenDocument text.
func docx(t *testing.T, withWord bool) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := map[string]string{"[Content_Types].xml": `<?xml version="1.0"?><Types/>`}
	if withWord {
		files["word/document.xml"] = `<?xml version="1.0"?><w:document/>`
	}
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func odt(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	w.Write([]byte("application/vnd.oasis.opendocument.text"))
	w, _ = zw.Create("content.xml")
	w.Write([]byte("<office:document-content/>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSpeechVersions(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		pdf := []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
		for i, up := range []struct {
			name string
			data []byte
			ct   string
		}{{"Diễn văn phát động.pdf", pdf, "application/pdf"}, {`..\..\bai "phat" bieu.docx`, docx(t, true), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
			{"dien-van.exe", odt(t), "application/vnd.oasis.opendocument.text"}} {
			sp, err := f.svc.AddSpeech(f.sys, f.ceremID, up.name, "bản "+string(rune('1'+i)), up.data)
			if err != nil || sp.Version != i+1 || sp.ContentType != up.ct {
				t.Fatalf("upload %d: %v %+v", i, err, sp)
			}
		}
		list, err := f.svc.Speeches(f.sys, f.ceremID)
		if err != nil || len(list) != 3 || list[0].Version != 3 || list[0].FileName != "dien-van.odt" || list[1].FileName != "bai phat bieu.docx" || list[2].FileName != "Diễn văn phát động.pdf" {
			t.Fatalf("versions: %v %+v", err, list)
		}
		if sp, data, err := f.svc.SpeechFile(f.sys, f.ceremID, 0); err != nil || sp.Version != 3 || !bytes.Equal(data, odt(t)) && len(data) == 0 {
			t.Fatalf("latest: %v %+v", err, sp)
		}
		if _, data, err := f.svc.SpeechFile(f.sys, f.ceremID, 1); err != nil || !bytes.Equal(data, pdf) {
			t.Fatalf("version 1: %v", err)
		}
		if _, _, err := f.svc.SpeechFile(f.sys, f.ceremID, 9); kindOf(err) != apperr.NotFound {
			t.Fatalf("version 9: %v", err)
		}
		if auditCount(t, d, "ceremony.speech_upload") != 3 {
			t.Fatal("uploads not audited")
		}
		// Bad files are refused, nothing stored.
		for i, bad := range []struct {
			data []byte
			key  string
		}{
			{nil, "ceremony.error.speech_empty"},
			{[]byte("Kính thưa các đồng chí"), "ceremony.error.speech_type"},
			{docx(t, false), "ceremony.error.speech_type"},
			{[]byte("PK\x03\x04 not a zip"), "ceremony.error.speech_type"},
			{append([]byte("%PDF-"), make([]byte, ceremony.MaxSpeechSize)...), "ceremony.error.speech_size"},
		} {
			if _, err := f.svc.AddSpeech(f.sys, f.ceremID, "x.pdf", "", bad.data); apperr.As(err).Key != bad.key {
				t.Errorf("bad file %d: %v", i, err)
			}
		}
		if _, err := f.svc.AddSpeech(f.sys, f.ceremID, "x.pdf", strings.Repeat("a", ceremony.MaxText+1), pdf); kindOf(err) != apperr.Invalid {
			t.Errorf("long note: %v", err)
		}
		if list, _ := f.svc.Speeches(f.sys, f.ceremID); len(list) != 3 {
			t.Fatalf("a bad file was stored: %d versions", len(list))
		}
		// The designated leader reads it; a district administrator neither reads nor uploads.
		acc := accounts.NewService(d)
		u, err := acc.CreateUser(f.sys, accounts.NewUser{Username: "ct.tinh", DisplayName: "Chủ tịch", Password: "mật khẩu lãnh đạo 2023", Role: authz.Learner, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ChangeLeader(f.sys, f.ceremID, u.ID, true); err != nil {
			t.Fatal(err)
		}
		leader := as(&authz.Actor{UserID: u.ID, Username: u.Username, Grants: []authz.Grant{{Role: authz.Learner, UnitCode: "51", UnitPath: f.unit("51").Path}}})
		if list, err := f.svc.Speeches(leader, f.ceremID); err != nil || len(list) != 3 {
			t.Fatalf("leader reads: %v", err)
		}
		district := as(unitActor(authz.UnitAdmin, f.unit("535")))
		if _, err := f.svc.Speeches(district, f.ceremID); kindOf(err) != apperr.Forbidden {
			t.Fatalf("district reads the speech: %v", err)
		}
		if _, _, err := f.svc.SpeechFile(district, f.ceremID, 1); kindOf(err) != apperr.Forbidden {
			t.Fatalf("district downloads the speech: %v", err)
		}
		if _, err := f.svc.AddSpeech(district, f.ceremID, "x.pdf", "", pdf); kindOf(err) != apperr.Forbidden {
			t.Fatalf("district uploads the speech: %v", err)
		}
		// Another province's administrator does not learn it exists.
		other := as(&authz.Actor{Username: "admin.01", Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "01", UnitPath: "/01/"}}})
		if _, err := f.svc.Speeches(other, f.ceremID); kindOf(err) != apperr.NotFound {
			t.Fatalf("other province: %v", err)
		}
	})
}

// i18nVI is an error's message as a Vietnamese reader sees it.
func i18nVI(ae *apperr.Error) string { return i18n.MustLoad().Translator("vi")(ae.Key, ae.Args...) }

// TestProgrammeReachesAnotherInstance: an edit of the programme made on one instance reaches the
// screens connected to another instance (two brokers over one PostgreSQL database, each with its
// own LISTEN connection, as two servers behind a load balancer).
func TestProgrammeReachesAnotherInstance(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		if d.Engine != db.Postgres {
			t.Skip("one instance only on SQLite")
		}
		f := newFixture(t, d)
		for _, b := range []*events.Broker{f.bus} {
			if err := b.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(b.Close)
		}
		other := events.New(d, nil)
		if err := other.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other.Close)
		screens := ceremony.NewService(d, f.units, other)
		ctx, cancel := context.WithCancel(f.sys)
		defer cancel()
		ch, stop, err := screens.Subscribe(ctx, f.ceremID, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		c := mustFind(t, f)
		c.Steps[1].Title = "Thông qua chương trình (đã sửa)"
		if _, err := f.svc.ReplaceSteps(f.sys, f.ceremID, c.Steps); err != nil {
			t.Fatal(err)
		}
		for {
			select {
			case ev := <-ch:
				var p ceremony.ProgrammeData
				if ev.Name != "programme" || json.Unmarshal(ev.Data, &p) != nil {
					continue
				}
				if p.NextTitle != c.Steps[0].Title || p.Steps[1].Title != "Thông qua chương trình (đã sửa)" {
					t.Fatalf("programme on the other instance: %+v", p)
				}
				return
			case <-time.After(15 * time.Second):
				t.Fatal("the edit never reached the other instance")
			}
		}
	})
}
