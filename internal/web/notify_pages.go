package web

import (
	"net/http"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/vnphone"
)

type notifyPrefsData struct {
	Page
	Kinds    []notify.Kind
	Channels []notify.Channel
	On       map[string]bool // "kind/channel" → enabled
}

// notifyPrefsPage lets a signed-in user choose which messages they receive on which channel.
func (s *Server) notifyPrefsPage(w http.ResponseWriter, r *http.Request) error {
	prefs, err := s.Notify.Prefs(r.Context())
	if err != nil {
		return err
	}
	data := notifyPrefsData{Page: s.newPage(r, "notify.prefs.title"), Channels: notify.Channels, On: map[string]bool{}}
	seen := map[notify.Kind]bool{}
	for _, p := range prefs {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			data.Kinds = append(data.Kinds, p.Kind)
		}
		data.On[string(p.Kind)+"/"+string(p.Channel)] = p.Enabled
	}
	return s.render(w, r, http.StatusOK, "notify_prefs", &data)
}

func (s *Server) notifyPrefsSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	var prefs []notify.Pref
	for _, k := range notify.Kinds {
		if k.Mandatory() {
			continue
		}
		for _, c := range notify.Channels {
			prefs = append(prefs, notify.Pref{Kind: k, Channel: c, Enabled: r.PostFormValue(string(k)+"/"+string(c)) == "on"})
		}
	}
	if err := s.Notify.SetPrefs(r.Context(), prefs); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/account/notifications", "notify.flash.saved")
}

type unsubscribeData struct {
	Page
	Token string
	Kind  notify.Kind
	Done  bool
}

// unsubscribeForm confirms an unsubscribe link from a message; the link alone changes nothing, so
// that mail scanners that follow links do not unsubscribe people.
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	u, err := s.Notify.ByToken(r.Context(), token)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "notify_unsubscribe", &unsubscribeData{Page: s.newPage(r, "notify.unsubscribe.title"), Token: token, Kind: u.Kind})
}

// unsubscribeSubmit turns the kind off; it also answers the one-click POST of RFC 8058 that mail
// programs send (body List-Unsubscribe=One-Click).
func (s *Server) unsubscribeSubmit(w http.ResponseWriter, r *http.Request) error {
	// A mail program's one-click POST may carry a body we cannot read: the token alone still
	// unsubscribes from this kind (all stays false), as RFC 8058 asks.
	_ = parseForm(w, r, formTiny)
	token := r.PathValue("token")
	u, err := s.Notify.Unsubscribe(r.Context(), token, r.PostFormValue("all") == "1")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "notify_unsubscribe", &unsubscribeData{Page: s.newPage(r, "notify.unsubscribe.title"), Token: token, Kind: u.Kind, Done: true})
}

type outboxData struct {
	Page
	Messages []notify.Message
	Counts   map[notify.Status]int64
	Statuses []notify.Status
	Status   string
}

// mayReadOutbox: province administrators read their province's outbox, national administrators
// the messages to the administrators they appoint (notify scopes the listing).
func mayReadOutbox(a *authz.Actor) bool { return a.IsNational() || len(a.AdminProvinces()) > 0 }

// outboxPage shows the outbox to province administrators: what was sent, what waits, what failed.
func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request) error {
	if !mayReadOutbox(authz.ActorFrom(r.Context())) {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	st := notify.Status(r.URL.Query().Get("status"))
	list, err := s.Notify.List(r.Context(), notify.Filter{Status: st, Limit: 200})
	if err != nil {
		return err
	}
	// Phone numbers are personal data (Decree 13): the list shows them masked. Since phone-first
	// onboarding every team member's and learner's number passes through here.
	for i := range list {
		if list[i].Channel != notify.Email {
			list[i].Recipient = vnphone.Mask(list[i].Recipient)
		}
	}
	counts, err := s.Notify.Counts(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "notify_outbox", &outboxData{Page: s.newPage(r, "notify.outbox.title"), Messages: list, Counts: counts,
		Statuses: []notify.Status{notify.Pending, notify.Sending, notify.Sent, notify.Failed, notify.Suppressed}, Status: string(st)})
}

func (s *Server) outboxRetrySubmit(w http.ResponseWriter, r *http.Request) error {
	if !mayReadOutbox(authz.ActorFrom(r.Context())) {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	id, err := pathIDOr(r, "id", "notify.error.not_found")
	if err != nil {
		return err
	}
	if err := s.Notify.Retry(r.Context(), id); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/admin/outbox?status=failed", "notify.flash.retry")
}
