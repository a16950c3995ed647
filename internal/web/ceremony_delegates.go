package web

import (
	"net/http"
	"strconv"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// Delegates: correcting and withdrawing invitations (API and plain-form pages).

type delegateInput struct {
	FullName     string `json:"full_name"`
	Position     string `json:"position"`
	Organisation string `json:"organisation"`
	Group        string `json:"group"`
	Phone        string `json:"phone"`
	Email        string `json:"email"`
	Channel      string `json:"channel"`
}

func (in delegateInput) delegate() ceremony.Delegate {
	return ceremony.Delegate{FullName: in.FullName, Position: in.Position, Organisation: in.Organisation, Group: in.Group, Phone: in.Phone,
		Email: in.Email, Channel: in.Channel}
}

func delegateIDs(r *http.Request) (int64, int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	did, err := pathID(r, "did")
	return id, did, err
}

func (s *Server) apiUpdateDelegate(w http.ResponseWriter, r *http.Request) error {
	id, did, err := delegateIDs(r)
	if err != nil {
		return err
	}
	var in delegateInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.Ceremony.UpdateDelegate(r.Context(), id, did, in.delegate())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDeleteDelegate(w http.ResponseWriter, r *http.Request) error {
	id, did, err := delegateIDs(r)
	if err != nil {
		return err
	}
	if err := s.Ceremony.DeleteDelegate(r.Context(), id, did); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type delegateEditData struct {
	ceremonyPage
	D ceremony.Delegate
	P ceremony.Point
}

// Channels are the channels an invitation can go by.
func (delegateEditData) Channels() []string {
	return []string{ceremony.ChannelEmail, ceremony.ChannelSMS, ceremony.ChannelZalo}
}

func (s *Server) renderDelegateEdit(w http.ResponseWriter, r *http.Request, form *ceremony.Delegate, formErr error) error {
	p, err := s.loadCeremonyPage(r, "ceremony.delegates.edit")
	if err != nil {
		return err
	}
	did, err := pathID(r, "did")
	if err != nil {
		return err
	}
	data := delegateEditData{ceremonyPage: p}
	if data.D, data.P, err = s.Ceremony.FindDelegate(r.Context(), p.C.ID, did); err != nil {
		return err
	}
	data.Title = p.T("ceremony.delegates.edit") + " · " + data.P.Name
	if form != nil {
		data.D.FullName, data.D.Position, data.D.Organisation, data.D.Group, data.D.Phone = form.FullName, form.Position, form.Organisation, form.Group, form.Phone
		data.D.Email, data.D.Channel = form.Email, form.Channel
	}
	return s.renderForm(w, r, "ceremony_delegate", &data, formErr)
}

func (s *Server) delegateEditPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderDelegateEdit(w, r, nil, nil)
}

func (s *Server) delegateEditSubmit(w http.ResponseWriter, r *http.Request) error {
	id, did, err := delegateIDs(r)
	if err != nil {
		return err
	}
	in := ceremony.Delegate{FullName: r.PostFormValue("full_name"), Position: r.PostFormValue("position"), Organisation: r.PostFormValue("organisation"),
		Group: r.PostFormValue("group"), Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email"), Channel: r.PostFormValue("channel")}
	d, err := s.Ceremony.UpdateDelegate(r.Context(), id, did, in)
	if err != nil {
		return s.renderDelegateEdit(w, r, &in, err)
	}
	return s.redirectFlash(w, r, "/ceremonies/"+strconv.FormatInt(id, 10)+"/points/"+strconv.FormatInt(d.PointID, 10)+"#delegates", "flash.saved")
}

func (s *Server) delegateDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	id, did, err := delegateIDs(r)
	if err != nil {
		return err
	}
	d, _, err := s.Ceremony.FindDelegate(r.Context(), id, did)
	if err != nil {
		return err
	}
	if err := s.Ceremony.DeleteDelegate(r.Context(), id, did); err != nil {
		return s.renderDelegateEdit(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/ceremonies/"+strconv.FormatInt(id, 10)+"/points/"+strconv.FormatInt(d.PointID, 10)+"#delegates", "ceremony.delegates.deleted")
}

// ——— Invitations that go out: bulk import, numbering and sending, the attendance list ———

// invitationsData is the page of a point's invitations: the import, the series, the sending and
// the list with each delegate's number and answer.
type invitationsData struct {
	ceremonyPage
	P         ceremony.Point
	Delegates []ceremony.Delegate
	Series    string
	// MaySend: the viewer speaks for the issuing office (the point's unit's administrators);
	// MayImport: the viewer prepares the point's list (its people, operator included).
	MaySend, MayImport bool
	// Answers counts the delegates by answer (key "" for those who have not answered).
	Answers  map[ceremony.RSVP]int
	RSVPs    []ceremony.RSVP
	Channels []string
	Unsent   int
	NoAnswer int
}

// Count is how many delegates gave answer a.
func (d invitationsData) Count(a ceremony.RSVP) int { return d.Answers[a] }

func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, formErr error) error {
	p, err := s.loadCeremonyPage(r, "")
	if err != nil {
		return err
	}
	pid, err := pathID(r, "pid")
	if err != nil {
		return err
	}
	data := invitationsData{ceremonyPage: p, RSVPs: ceremony.RSVPs, Answers: map[ceremony.RSVP]int{},
		Channels: []string{ceremony.ChannelEmail, ceremony.ChannelSMS, ceremony.ChannelZalo}}
	if data.P, err = s.Ceremony.FindPoint(r.Context(), p.C.ID, pid); err != nil {
		return err
	}
	if data.Delegates, err = s.Ceremony.Delegates(r.Context(), p.C.ID, pid); err != nil {
		return err
	}
	if data.Series, err = s.Ceremony.InvitationSeries(r.Context(), p.C.ID); err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data.MaySend, data.MayImport = ceremony.MaySend(actor, data.P), ceremony.MayTouch(actor, data.P) && !data.P.Retired
	for _, d := range data.Delegates {
		data.Answers[d.RSVP]++
		if d.RSVP == ceremony.RSVPNone {
			data.NoAnswer++
		}
		if d.Sends == 0 {
			data.Unsent++
		}
	}
	data.Title = p.T("ceremony.invitations.title") + " · " + data.P.Name
	return s.renderForm(w, r, "ceremony_invitations", &data, formErr)
}

func (s *Server) invitationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderInvitations(w, r, nil)
}

func invitationsURL(id, pid int64) string {
	return "/ceremonies/" + strconv.FormatInt(id, 10) + "/points/" + strconv.FormatInt(pid, 10) + "/invitations"
}

// importDelegates reads the upload (a form's file field, or the request's body) into the point.
func (s *Server) importDelegates(w http.ResponseWriter, r *http.Request) (ceremony.ImportResult, int64, int64, error) {
	id, pid, err := pointIDs(r)
	if err != nil {
		return ceremony.ImportResult{}, 0, 0, err
	}
	body, done, err := openUpload(w, r, "file", ceremony.MaxImportBytes)
	if err != nil {
		return ceremony.ImportResult{}, id, pid, err
	}
	defer done()
	res, err := s.Ceremony.ImportDelegates(r.Context(), id, pid, body, s.translator(r))
	return res, id, pid, err
}

func (s *Server) apiImportDelegates(w http.ResponseWriter, r *http.Request) error {
	res, _, _, err := s.importDelegates(w, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) delegatesImportSubmit(w http.ResponseWriter, r *http.Request) error {
	res, id, pid, err := s.importDelegates(w, r)
	if err != nil {
		if id == 0 || apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderInvitations(w, r, err)
	}
	s.flashText(w, s.translator(r)("ceremony.import.done", res.Added))
	http.Redirect(w, r, invitationsURL(id, pid), http.StatusSeeOther)
	return nil
}

// delegatesTemplate is the blank delegate list anyone preparing a file may download.
func (s *Server) delegatesTemplate(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "xlsx", "csv")
	if err != nil {
		return err
	}
	data, err := ceremony.DelegateTemplate(format)
	if err != nil {
		return apperr.Wrap(err, "template")
	}
	sendFile(w, "mau-danh-sach-dai-bieu."+format, data)
	return nil
}

// sendInvitations runs the sending a request names: a point's invitations not sent yet ({pid}),
// or one delegate's again ({did}). It returns the invitations page to go back to.
func (s *Server) sendInvitations(r *http.Request) (ceremony.SendResult, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return ceremony.SendResult{}, "", err
	}
	if r.PathValue("did") != "" {
		did, err := pathID(r, "did")
		if err != nil {
			return ceremony.SendResult{}, "", err
		}
		d, _, err := s.Ceremony.FindDelegate(r.Context(), id, did)
		if err != nil {
			return ceremony.SendResult{}, "", err
		}
		res, err := s.Ceremony.ResendInvitation(r.Context(), id, did, s.siteBase(r))
		return res, invitationsURL(id, d.PointID), err
	}
	pid, err := pathID(r, "pid")
	if err != nil {
		return ceremony.SendResult{}, "", err
	}
	res, err := s.Ceremony.SendInvitations(r.Context(), id, pid, s.siteBase(r))
	return res, invitationsURL(id, pid), err
}

func (s *Server) apiSendInvitations(w http.ResponseWriter, r *http.Request) error {
	res, _, err := s.sendInvitations(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// invitationsSendSubmit sends from the invitations page and comes back to it with what was sent.
// A refusal of a point's sending is shown on the page; a delegate's, as an error page.
func (s *Server) invitationsSendSubmit(w http.ResponseWriter, r *http.Request) error {
	res, back, err := s.sendInvitations(r)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) || r.PathValue("pid") == "" {
			return err
		}
		return s.renderInvitations(w, r, err)
	}
	T := s.translator(r)
	text := T("ceremony.invitations.sent", res.Sent, res.Numbered)
	if res.NoContact > 0 {
		text += " " + T("ceremony.invitations.no_contact", res.NoContact)
	}
	s.flashText(w, text)
	http.Redirect(w, r, back+"#invitations", http.StatusSeeOther)
	return nil
}

func (s *Server) apiSetInvitationSeries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Series string `json:"series"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	series, err := s.Ceremony.SetInvitationSeries(r.Context(), id, in.Series)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"series": series})
	return nil
}

func (s *Server) invitationSeriesSubmit(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := pointIDs(r)
	if err != nil {
		return err
	}
	if _, err := s.Ceremony.SetInvitationSeries(r.Context(), id, r.PostFormValue("series")); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return err
		}
		return s.renderInvitations(w, r, err)
	}
	return s.redirectFlash(w, r, invitationsURL(id, pid), "flash.saved")
}
