package web

import (
	"net/http"
	"strings"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// The RSVP page: the link in an invitation opens it without an account (the link is the
// credential). The delegate attends, sends a deputy or declines; the first answer is final, and a
// second one, or one after the ceremony has begun, is answered politely and changes nothing.

type rsvpData struct {
	Page
	Token string
	I     ceremony.Invitee
	RSVPs []ceremony.RSVP
	// Form keeps what was typed when the answer was refused.
	Form ceremony.Answer
	// Done: the answer was just recorded.
	Done bool
}

// When is the ceremony's start as the page writes it.
func (d rsvpData) When() string {
	return d.I.C.StartsAt.In(ceremony.VietnamTime).Format("15:04, 02/01/2006")
}

// Where is the place of the delegate's point.
func (d rsvpData) Where() string {
	if d.I.P.Level == ceremony.Main {
		return d.I.C.Venue
	}
	if d.I.P.Address != "" {
		return d.I.P.Name + " (" + d.I.P.Address + ")"
	}
	return d.I.P.Name
}

func (s *Server) rsvpPage(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	inv, err := s.Ceremony.Invitee(r.Context(), token)
	if err != nil {
		return err
	}
	// The page is the delegate's own: it is not kept in shared caches nor sent on as a referrer.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, http.StatusOK, "rsvp", &rsvpData{Page: s.newPage(r, "ceremony.rsvp.title"), Token: token, I: inv, RSVPs: ceremony.RSVPs})
}

func (s *Server) rsvpSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	token := r.PathValue("token")
	ans := ceremony.Answer{RSVP: ceremony.RSVP(r.PostFormValue("rsvp")), DeputyName: r.PostFormValue("deputy_name"), DeputyPosition: r.PostFormValue("deputy_position")}
	inv, err := s.Ceremony.AnswerInvitation(r.Context(), token, ans)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	data := &rsvpData{Page: s.newPage(r, "ceremony.rsvp.title"), Token: token, I: inv, RSVPs: ceremony.RSVPs, Form: ans, Done: err == nil}
	if err != nil && (apperr.Is(err, apperr.NotFound) || inv.D.ID == 0) {
		return err
	}
	if err != nil && apperr.Is(err, apperr.Conflict) {
		// Answered already, or too late: the answer on record stays and the page shows it.
		if fresh, ferr := s.Ceremony.Invitee(r.Context(), token); ferr == nil {
			data.I = fresh
		}
	}
	return s.renderForm(w, r, "rsvp", data, err)
}

// rsvpInvitation serves the invitation letter (PDF) to the holder of the RSVP link.
func (s *Server) rsvpInvitation(w http.ResponseWriter, r *http.Request) error {
	pdf, d, err := s.Ceremony.InvitationByRSVP(r.Context(), r.PathValue("token"), s.siteBase(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	sendFile(w, "giay-moi-"+strings.ReplaceAll(d.Number(), "/", "-")+".pdf", pdf)
	return nil
}
