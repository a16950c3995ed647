package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// The ceremony's script and speech, and its status: the printable script (PDF), the leaders'
// speech in versions, cancelling, archiving and reinstating. Pages and API share the handlers of
// the downloads.

// scriptExport serves the ceremony's script (kịch bản chương trình) as a PDF.
func (s *Server) scriptExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "pdf")
	if err != nil {
		return err
	}
	pdf, _, err := s.Ceremony.Script(r.Context(), id)
	if err != nil {
		return err
	}
	sendFile(w, "kich-ban-le-phat-dong-"+strconv.FormatInt(id, 10)+"."+format, pdf)
	return nil
}

// uploadSpeech reads the speech file of a request (multipart field "file", or the raw body) and
// stores it as a new version; the name is the multipart file's, else ?name=.
func (s *Server) uploadSpeech(w http.ResponseWriter, r *http.Request, id int64) (ceremony.Speech, error) {
	data, err := readUpload(w, r, "file", ceremony.MaxSpeechSize)
	if err != nil {
		return ceremony.Speech{}, err
	}
	name, note := r.URL.Query().Get("name"), r.URL.Query().Get("note")
	if r.MultipartForm != nil {
		if fs := r.MultipartForm.File["file"]; len(fs) > 0 {
			name = fs[0].Filename
		}
		if v := r.MultipartForm.Value["note"]; len(v) > 0 {
			note = v[0]
		}
	}
	return s.Ceremony.AddSpeech(r.Context(), id, name, note, data)
}

func (s *Server) apiUploadSpeech(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sp, err := s.uploadSpeech(w, r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sp)
	return nil
}

func (s *Server) apiListSpeeches(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.Ceremony.Speeches(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

// speechFile serves one version of the speech ("latest" for the newest).
func (s *Server) speechFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version := 0
	if v := r.PathValue("version"); v != "latest" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return apperr.New(apperr.NotFound, "ceremony.error.speech_not_found")
		}
	}
	sp, data, err := s.Ceremony.SpeechFile(r.Context(), id, version)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(sp.FileName, ceremony.SpeechExt[sp.ContentType])
	sendFile(w, base+"-v"+strconv.Itoa(sp.Version)+ceremony.SpeechExt[sp.ContentType], data)
	return nil
}

// ceremonySpeechSubmit is the programme page's upload form.
func (s *Server) ceremonySpeechSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.uploadSpeech(w, r, id); err != nil {
		if apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.Conflict) {
			return s.renderCeremonyEdit(w, r, err)
		}
		return err
	}
	return s.editDone(w, r, id, "#speech")
}

// parseStatus reads a status a client asks for.
func parseStatus(v string) (ceremony.Status, error) {
	switch st := ceremony.Status(strings.TrimSpace(v)); st {
	case ceremony.Scheduled, ceremony.Cancelled, ceremony.Archived:
		return st, nil
	}
	return "", apperr.InvalidField("status", "ceremony.error.status", v)
}

func (s *Server) apiSetCeremonyStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	st, err := parseStatus(in.Status)
	if err != nil {
		return err
	}
	c, err := s.Ceremony.SetStatus(r.Context(), id, st)
	if err != nil {
		return err
	}
	s.invalidateCeremonyBoard(c.Province)
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) ceremonyStatusSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := parseStatus(r.PostFormValue("status"))
	if err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	c, err := s.Ceremony.SetStatus(r.Context(), id, st)
	if err != nil {
		return s.renderCeremonyEdit(w, r, err)
	}
	s.invalidateCeremonyBoard(c.Province)
	return s.editDone(w, r, id, "#status")
}

// invalidateCeremonyBoard drops the public portal's cached ceremony of a province, so that a
// cancelled or archived ceremony leaves the public page at once (on this instance).
func (s *Server) invalidateCeremonyBoard(province string) {
	if s.Portal != nil {
		s.Portal.Ceremonies.Invalidate(province)
	}
}
