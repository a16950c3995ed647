package web

import (
	"net/http"
	"strconv"

	"github.com/lantoa/lantoa/internal/ceremony"
)

// Delegates: correcting and withdrawing invitations (API and plain-form pages).

type delegateInput struct {
	FullName     string `json:"full_name"`
	Position     string `json:"position"`
	Organisation string `json:"organisation"`
	Group        string `json:"group"`
	Phone        string `json:"phone"`
}

func (in delegateInput) delegate() ceremony.Delegate {
	return ceremony.Delegate{FullName: in.FullName, Position: in.Position, Organisation: in.Organisation, Group: in.Group, Phone: in.Phone}
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
		Group: r.PostFormValue("group"), Phone: r.PostFormValue("phone")}
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
