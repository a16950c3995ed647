package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// The programme page: a province administrator edits the ceremony's fields, its programme (add,
// edit, reorder, delete steps) and the leaders who may press the button. Every control is a plain
// form (it works without JavaScript); the service refuses changes once the ceremony has launched.

type ceremonyEditData struct {
	ceremonyPage
	Leaders []ceremony.Leader
	// Locked explains, before anyone tries, why the programme cannot change any more ("" when it can).
	Locked string
	// Fixed is how many steps, from the first, cannot change now (the steps already run on the
	// ceremony's day); OnDay tells the page that edits now reach the screens live.
	Fixed int
	OnDay bool
	// Speeches are the versions of the leaders' speech, the latest first.
	Speeches []ceremony.Speech
	// MaxSpeechMB is the speech file's size limit.
	MaxSpeechMB int
	// CanCancel and CanArchive offer the status changes the ceremony allows now.
	CanCancel, CanArchive bool
	// Editable: the ceremony is neither cancelled nor archived; ProgrammeOpen: moreover its day
	// has not ended, so steps can still be added.
	Editable, ProgrammeOpen bool
}

// StepFixed tells whether the step at pos cannot change now.
func (d ceremonyEditData) StepFixed(pos int) bool { return pos <= d.Fixed }

// Status names the ceremony's status.
func (d ceremonyEditData) StatusLabel() string { return d.T("ceremony.status." + string(d.C.Status)) }

func (s *Server) renderCeremonyEdit(w http.ResponseWriter, r *http.Request, formErr error) error {
	p, err := s.loadCeremonyPage(r, "")
	if err != nil {
		return err
	}
	if !p.CanManage {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	data := ceremonyEditData{ceremonyPage: p}
	data.Title = p.T("ceremony.edit.title") + " · " + p.C.Title
	if data.Leaders, err = s.Ceremony.Leaders(r.Context(), p.C.ID); err != nil {
		return err
	}
	if data.Speeches, err = s.Ceremony.Speeches(r.Context(), p.C.ID); err != nil {
		return err
	}
	data.MaxSpeechMB = ceremony.MaxSpeechSize >> 20
	data.Fixed = s.Ceremony.FixedSteps(p.C)
	data.OnDay = s.Ceremony.OnDay(p.C)
	data.Editable = p.C.Status == ceremony.Scheduled
	data.ProgrammeOpen = data.Editable && !s.Ceremony.DayOver(p.C)
	data.CanCancel = p.C.Status == ceremony.Scheduled && !p.C.Launched()
	data.CanArchive = p.C.Status == ceremony.Cancelled || (p.C.Status == ceremony.Scheduled && s.Ceremony.DayOver(p.C))
	switch {
	case p.C.Status == ceremony.Cancelled:
		data.Locked = p.T("ceremony.error.cancelled")
	case p.C.Status == ceremony.Archived:
		data.Locked = p.T("ceremony.error.archived")
	case data.Fixed > 0 && !data.OnDay:
		data.Locked = p.T("ceremony.error.steps_over")
	case data.Fixed > 0:
		data.Locked = p.T("ceremony.edit.fixed_hint", data.Fixed)
	}
	return s.renderForm(w, r, "ceremony_edit", &data, formErr)
}

func (s *Server) ceremonyEditPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCeremonyEdit(w, r, nil)
}

// parseLocalTime reads a datetime-local value as Vietnam time; "" is the zero time unless required.
func parseLocalTime(field, v string, required bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return time.Time{}, apperr.InvalidField(field, "ceremony.error.starts_at")
		}
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, vietnamTime)
	if err != nil {
		return time.Time{}, apperr.InvalidField(field, "ceremony.error.starts_at")
	}
	return t, nil
}

func (s *Server) editDone(w http.ResponseWriter, r *http.Request, id int64, anchor string) error {
	return s.redirectFlash(w, r, "/ceremonies/"+strconv.FormatInt(id, 10)+"/edit"+anchor, "flash.saved")
}

func (s *Server) ceremonyEditSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	starts, err := parseLocalTime("starts_at", r.PostFormValue("starts_at"), true)
	if err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	val := func(k string) *string { v := r.PostFormValue(k); return &v }
	if _, err := s.Ceremony.Update(r.Context(), id, ceremony.Changes{Title: val("title"), StartsAt: &starts, Venue: val("venue"), VCProvider: val("vc_provider"),
		RoomLink: val("room_link"), LivestreamURL: val("livestream_url")}); err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	return s.editDone(w, r, id, "")
}

func (s *Server) ceremonyStepAddSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	at, err := parseLocalTime("planned_at", r.PostFormValue("planned_at"), false)
	if err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	op := ceremony.StepOp{Kind: ceremony.StepAdd, PlannedAt: at}
	if err := stepForm(r, &op); err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	if _, err := s.Ceremony.EditStep(r.Context(), id, op); err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	return s.editDone(w, r, id, "#programme")
}

// ceremonyStepSubmit applies the button pressed on one step's row: op is update, up, down or delete.
func (s *Server) ceremonyStepSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pos, err := strconv.Atoi(r.PathValue("pos"))
	if err != nil || pos < 1 {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	op := ceremony.StepOp{Kind: r.PostFormValue("op"), Position: pos}
	switch op.Kind {
	case ceremony.StepUpdate:
		if err := stepForm(r, &op); err != nil {
			return s.renderCeremonyEdit(w, r, err)
		}
		if op.PlannedAt, err = parseLocalTime("planned_at", r.PostFormValue("planned_at"), false); err != nil {
			return s.renderCeremonyEdit(w, r, err)
		}
	case ceremony.StepUp, ceremony.StepDown, ceremony.StepDelete:
	default:
		return s.renderCeremonyEdit(w, r, apperr.InvalidField("op", "ceremony.error.step_op"))
	}
	if _, err := s.Ceremony.EditStep(r.Context(), id, op); err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	return s.editDone(w, r, id, "#programme")
}

// stepForm reads a step's script fields from its form: title, speaker, duration in minutes (empty
// is none), MC lines and notes.
func stepForm(r *http.Request, op *ceremony.StepOp) error {
	op.Title, op.Speaker = r.PostFormValue("title"), r.PostFormValue("speaker")
	op.MCLines, op.Notes = r.PostFormValue("mc_lines"), r.PostFormValue("notes")
	if v := strings.TrimSpace(r.PostFormValue("duration_min")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > ceremony.MaxDuration {
			return apperr.InvalidField("duration_min", "ceremony.error.duration", ceremony.MaxDuration)
		}
		op.DurationMin = n
	}
	return nil
}

func (s *Server) ceremonyLeaderAddSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	uid, err := s.Ceremony.LeaderID(r.Context(), id, r.PostFormValue("username"))
	if err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	if _, err := s.Ceremony.ChangeLeader(r.Context(), id, uid, true); err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	return s.editDone(w, r, id, "#leaders")
}

func (s *Server) ceremonyLeaderRemoveSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	uid, err := pathID(r, "uid")
	if err != nil {
		return err
	}
	if _, err := s.Ceremony.ChangeLeader(r.Context(), id, uid, false); err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	return s.editDone(w, r, id, "#leaders")
}
