package ceremony

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// The leaders' speech (diễn văn, bài phát biểu) is a document attached to the ceremony: the
// drafting office uploads a PDF, DOCX or ODT, each upload a new version, and every version stays
// readable. It is read by whoever may press the button (the province's administrators and the
// designated leaders) and uploaded by the province's administrators.

// Limits of the speech.
const (
	// MaxSpeechSize bounds one version's file.
	MaxSpeechSize = 10 << 20
	// MaxSpeechVersions bounds the versions of one ceremony's speech.
	MaxSpeechVersions = 50
	// maxFileName bounds a stored file name, in characters.
	maxFileName = 200
)

// The kinds of speech document, by their content type.
const (
	speechPDF  = "application/pdf"
	speechDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	speechODT  = "application/vnd.oasis.opendocument.text"
)

// SpeechExt is the file extension of each speech content type.
var SpeechExt = map[string]string{speechPDF: ".pdf", speechDOCX: ".docx", speechODT: ".odt"}

// Speech is one version of the speech (without its content).
type Speech struct {
	Version     int       `json:"version"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Note        string    `json:"note"`
	UploadedBy  string    `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// sniffSpeech tells the kind of a document from its content, whatever its name says: a PDF by its
// header, a DOCX by its Word part in an OOXML package, an ODT by its stored mimetype entry. Anything
// else is refused.
func sniffSpeech(data []byte) (string, error) {
	bad := apperr.InvalidField("file", "ceremony.error.speech_type")
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		return speechPDF, nil
	}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return "", bad
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", bad
	}
	var types, word bool
	for _, f := range zr.File {
		switch {
		case f.Name == "[Content_Types].xml":
			types = true
		case f.Name == "word/document.xml":
			word = true
		case f.Name == "mimetype":
			rc, err := f.Open()
			if err != nil {
				return "", bad
			}
			b, err := io.ReadAll(io.LimitReader(rc, 100))
			rc.Close()
			if err == nil && strings.TrimSpace(string(b)) == speechODT {
				return speechODT, nil
			}
		}
	}
	if types && word {
		return speechDOCX, nil
	}
	return "", bad
}

// cleanFileName keeps the base of a file name, without control characters, at most maxFileName
// characters, with the extension of its kind.
func cleanFileName(name, contentType string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	ext := SpeechExt[contentType]
	name = strings.TrimSpace(strings.TrimSuffix(name, path.Ext(name)))
	if name == "" || name == "." || name == "/" {
		name = "dien-van"
	}
	if r := []rune(name); len(r) > maxFileName {
		name = string(r[:maxFileName])
	}
	return name + ext
}

// mayReadSpeech tells whether the actor reads the speech: whoever may press the button.
func mayReadSpeech(a *authz.Actor, c Ceremony) bool { return MayLaunch(a, c) }

// AddSpeech stores a new version of the ceremony's speech. The file is refused when it is empty,
// larger than MaxSpeechSize, or not a PDF, DOCX or ODT by its content; nothing is stored then.
func (s *Service) AddSpeech(ctx context.Context, id int64, fileName, note string, data []byte) (Speech, error) {
	note = strings.TrimSpace(note)
	// Who may not upload learns nothing about the file.
	if _, err := s.findToChange(ctx, s.DB.Reader(), id); err != nil {
		return Speech{}, err
	}
	if len(data) == 0 {
		return Speech{}, apperr.InvalidField("file", "ceremony.error.speech_empty")
	}
	if len(data) > MaxSpeechSize {
		return Speech{}, apperr.InvalidField("file", "ceremony.error.speech_size", MaxSpeechSize>>20)
	}
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxText {
		return Speech{}, apperr.InvalidField("note", "ceremony.error.too_long", MaxText)
	}
	ct, err := sniffSpeech(data)
	if err != nil {
		return Speech{}, err
	}
	sp := Speech{FileName: cleanFileName(fileName, ct), ContentType: ct, Size: int64(len(data)), Note: note, CreatedAt: s.Now()}
	actor := authz.ActorFrom(ctx)
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM ceremony_speeches WHERE ceremony_id = ?", id).Scan(&last); err != nil {
			return apperr.Wrap(err, "last speech version")
		}
		if last.Int64 >= MaxSpeechVersions {
			return apperr.InvalidField("file", "ceremony.error.speech_versions", MaxSpeechVersions)
		}
		sp.Version = int(last.Int64) + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO ceremony_speeches (ceremony_id, version, file_name, content_type, size, data, note, uploaded_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, sp.Version, sp.FileName, sp.ContentType, sp.Size, data, sp.Note, db.NullInt(actor.UserID), db.Millis(sp.CreatedAt)); err != nil {
			return apperr.Wrap(err, "insert speech")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.speech_upload", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(),
			Detail: "v" + strconv.Itoa(sp.Version) + " " + sp.FileName})
	})
	if err != nil {
		return Speech{}, err
	}
	return sp, nil
}

// findSpeechReader loads a ceremony whose speech the actor reads.
func (s *Service) findSpeechReader(ctx context.Context, id int64) (Ceremony, error) {
	c, err := s.Find(ctx, id)
	if err != nil {
		return Ceremony{}, err
	}
	if !mayReadSpeech(authz.ActorFrom(ctx), c) {
		return Ceremony{}, forbidden()
	}
	return c, nil
}

// Speeches lists the versions of the ceremony's speech, the latest first.
func (s *Service) Speeches(ctx context.Context, id int64) ([]Speech, error) {
	if _, err := s.findSpeechReader(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT sp.version, sp.file_name, sp.content_type, sp.size, sp.note, COALESCE(u.display_name, ''), COALESCE(u.username, ''), sp.created_at
		FROM ceremony_speeches sp LEFT JOIN users u ON u.id = sp.uploaded_by WHERE sp.ceremony_id = ? ORDER BY sp.version DESC`, id)
	if err != nil {
		return nil, apperr.Wrap(err, "list speeches")
	}
	defer rows.Close()
	out := []Speech{}
	for rows.Next() {
		var sp Speech
		var display, username string
		var at int64
		if err := rows.Scan(&sp.Version, &sp.FileName, &sp.ContentType, &sp.Size, &sp.Note, &display, &username, &at); err != nil {
			return nil, apperr.Wrap(err, "scan speech")
		}
		sp.UploadedBy, sp.CreatedAt = display, db.FromMillis(at)
		if sp.UploadedBy == "" {
			sp.UploadedBy = username
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// SpeechFile returns one version of the speech with its content; version 0 is the latest.
func (s *Service) SpeechFile(ctx context.Context, id int64, version int) (Speech, []byte, error) {
	if _, err := s.findSpeechReader(ctx, id); err != nil {
		return Speech{}, nil, err
	}
	q := "SELECT version, file_name, content_type, size, note, created_at, data FROM ceremony_speeches WHERE ceremony_id = ? AND version = ?"
	args := []any{id, version}
	if version == 0 {
		q = "SELECT version, file_name, content_type, size, note, created_at, data FROM ceremony_speeches WHERE ceremony_id = ? ORDER BY version DESC LIMIT 1"
		args = args[:1]
	}
	var sp Speech
	var at int64
	var data []byte
	err := s.DB.Reader().QueryRowContext(ctx, q, args...).Scan(&sp.Version, &sp.FileName, &sp.ContentType, &sp.Size, &sp.Note, &at, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Speech{}, nil, apperr.New(apperr.NotFound, "ceremony.error.speech_not_found")
	}
	if err != nil {
		return Speech{}, nil, apperr.Wrap(err, "find speech")
	}
	sp.CreatedAt = db.FromMillis(at)
	return sp, data, nil
}
