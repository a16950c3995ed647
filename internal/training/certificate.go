package training

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// Certificate is the proof that a learner completed a course.
type Certificate struct {
	Code         string    `json:"code"`
	CourseID     int64     `json:"course_id"`
	CourseTitle  string    `json:"course_title"`
	UserID       int64     `json:"-"`
	LearnerName  string    `json:"learner_name"`
	Score        float64   `json:"score"`
	IssuedAt     time.Time `json:"issued_at"`
	Revoked      bool      `json:"revoked"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	OrgPath      string    `json:"-"`
	UnitPath     string    `json:"-"`
	// UnitName is the unit the learner's certificate counts in today (units.PathNow): a certificate
	// earned in Xã Nghĩa Dũng in 2023 stays valid and shows under Xã An Phú after 1 July 2025.
	// UnitNameThen is the unit it was earned in, when that is another.
	UnitName     string `json:"unit_name,omitempty"`
	UnitNameThen string `json:"unit_name_then,omitempty"`
	unitPathNow  string
	// Province is the course's province ("" for a national course).
	Province string `json:"province_code"`
	// Issuer names the body that issues the certificate, as the verification page says it
	// ("Sở Thông tin và Truyền thông tỉnh Quảng Ngãi"); see issuerOf.
	Issuer string `json:"issuer"`
	issuer issuer
}

// issuer is who issues a certificate, from the unit tree: the Department of Information and
// Communications (Sở Thông tin và Truyền thông) of the course's province. A national course's
// certificate is issued by the Department of the learner's province, which mobilised the learner
// and counts the pass in its figures; the certificate says that the course is a national one. A
// learner in no province (an account without a grant in one) gets it from the national programme,
// without a place line.
type issuer struct {
	parent, body, place, name, position string
}

const nationalProgramme = "Chương trình bồi dưỡng kỹ năng số toàn quốc"

func issuerOf(provinceName string) issuer {
	if provinceName == "" {
		return issuer{body: strings.ToUpper(nationalProgramme), name: nationalProgramme, position: "ĐẠI DIỆN BAN TỔ CHỨC"}
	}
	return issuer{parent: "UBND " + strings.ToUpper(provinceName), body: "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", place: units.PlaceName(provinceName),
		name: "Sở Thông tin và Truyền thông " + units.InSentence(provinceName), position: "GIÁM ĐỐC"}
}

// issuerProvince is the code of the province whose Department issues c ("" for the national
// programme).
func (c Certificate) issuerProvince() string {
	if c.Province != "" {
		return c.Province
	}
	if c.unitPathNow != "" {
		return authz.ProvinceOfPath(c.unitPathNow) // old Kon Tum's learners are Quảng Ngãi's from 2025
	}
	return authz.ProvinceOfPath(c.UnitPath)
}

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newCode makes an unguessable certificate code: 80 random bits, as "LT-XXXX-XXXX-XXXX-XXXX".
func newCode() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	s := codeEncoding.EncodeToString(b)
	return "LT-" + s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// ValidCode tells whether s has the shape of a certificate code (before any database look-up).
func ValidCode(s string) bool {
	if len(s) != 22 || !strings.HasPrefix(s, "LT-") {
		return false
	}
	for i, r := range s[3:] {
		if (i+1)%5 == 0 {
			if r != '-' {
				return false
			}
			continue
		}
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

func (s *Service) issueCertificate(ctx context.Context, tx *db.Tx, c Course, m *attemptMeta, score float64, now int64) (string, string, error) {
	var name, username, orgPath, unitPath string
	err := tx.QueryRowContext(ctx, `SELECT u.display_name, u.username, COALESCE(e.org_path, ''), COALESCE(e.unit_path, '')
		FROM users u LEFT JOIN training_enrolments e ON e.user_id = u.id AND e.course_id = ? WHERE u.id = ?`, c.ID, m.userID).Scan(&name, &username, &orgPath, &unitPath)
	if err != nil {
		return "", "", apperr.Wrap(err, "learner name")
	}
	if name == "" {
		name = username
	}
	var existing string
	// A revoked certificate is not reused: passing again after a revocation issues a new one.
	err = tx.QueryRowContext(ctx, "SELECT code FROM training_certificates WHERE course_id = ? AND user_id = ? AND revoked_at = 0", c.ID, m.userID).Scan(&existing)
	if err == nil {
		return existing, unitPath, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", apperr.Wrap(err, "find certificate")
	}
	code := newCode()
	if _, err := tx.ExecContext(ctx, `INSERT INTO training_certificates (code, course_id, user_id, attempt_id, learner_name, course_title, score, org_path, unit_path, issued_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, code, c.ID, m.userID, m.id, name, c.Title, score, orgPath, unitPath, now); err != nil {
		return "", "", apperr.Wrap(err, "issue certificate")
	}
	return code, unitPath, nil
}

// certFrom and certColumns read a certificate with its course's province.
var (
	certFrom    = " FROM training_certificates t JOIN training_courses co ON co.id = t.course_id"
	certColumns = "t.code, t.course_id, t.course_title, t.user_id, t.learner_name, t.score, t.issued_at, t.revoked_at, t.revoke_reason, t.org_path, t.unit_path, co.province_code, " +
		units.PathNow("t.unit_path") + ", COALESCE((SELECT u.name FROM units u WHERE u.path = " + units.PathNow("t.unit_path") + "), ''), COALESCE((SELECT u.name FROM units u WHERE u.path = t.unit_path), '')"
)

func scanCert(row interface{ Scan(...any) error }) (Certificate, error) {
	var c Certificate
	var issued, revoked int64
	err := row.Scan(&c.Code, &c.CourseID, &c.CourseTitle, &c.UserID, &c.LearnerName, &c.Score, &issued, &revoked, &c.RevokeReason, &c.OrgPath, &c.UnitPath, &c.Province, &c.unitPathNow, &c.UnitName, &c.UnitNameThen)
	if c.UnitNameThen == c.UnitName {
		c.UnitNameThen = ""
	}
	c.IssuedAt, c.RevokedAt, c.Revoked = db.FromMillis(issued), db.FromMillis(revoked), revoked != 0
	return c, err
}

// FindCertificate looks a certificate up by its code; anyone may (the public verification page).
func (s *Service) FindCertificate(ctx context.Context, code string) (Certificate, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if !ValidCode(code) {
		return Certificate{}, apperr.New(apperr.NotFound, "training.error.certificate_not_found")
	}
	c, err := scanCert(s.DB.Reader().QueryRowContext(ctx, "SELECT "+certColumns+certFrom+" WHERE t.code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return Certificate{}, apperr.New(apperr.NotFound, "training.error.certificate_not_found")
	}
	if err != nil {
		return Certificate{}, apperr.Wrap(err, "find certificate")
	}
	list := []Certificate{c}
	if err := s.fillIssuers(ctx, list); err != nil {
		return Certificate{}, err
	}
	return list[0], nil
}

// fillIssuers names the issuer of each certificate from the unit tree, once per province.
func (s *Service) fillIssuers(ctx context.Context, certs []Certificate) error {
	names := map[string]string{}
	for i := range certs {
		code := certs[i].issuerProvince()
		name, ok := names[code]
		if !ok {
			var err error
			if name, err = s.provinceName(ctx, s.DB.Reader(), code); err != nil {
				return err
			}
			names[code] = name
		}
		certs[i].issuer = issuerOf(name)
		certs[i].Issuer = certs[i].issuer.name
	}
	return nil
}

// MyCertificates lists the signed-in learner's certificates.
func (s *Service) MyCertificates(ctx context.Context) ([]Certificate, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	return s.listCerts(ctx, "t.user_id = ?", []any{a.UserID})
}

func (s *Service) listCerts(ctx context.Context, where string, args []any) ([]Certificate, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+certColumns+certFrom+" WHERE "+where+" ORDER BY t.issued_at, t.id LIMIT 20000", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list certificates")
	}
	defer rows.Close()
	out := []Certificate{}
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan certificate")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list certificates")
	}
	return out, s.fillIssuers(ctx, out)
}

// VerifyURL is the public page a certificate's QR code opens.
func VerifyURL(base, code string) string {
	return strings.TrimSuffix(base, "/") + "/verify/" + code
}

// RevokeCertificate withdraws a certificate (fraud, a mistaken result); its verification page
// then says so. The pass goes with it: the enrolment is no longer completed (the figures count
// one pass fewer) and the learner may sit the exam again, with the course's full number of
// attempts — those made before the revocation no longer count toward the limit.
//
// Revoking is a change to the course: it takes whoever may change the course (access.go). A
// certificate of another province's course is not found (the public verification page still
// shows it: anyone holding the code may check it); a national administrator is refused a
// province's.
func (s *Service) RevokeCertificate(ctx context.Context, code, reason string) (Certificate, error) {
	if authz.ActorFrom(ctx) == nil {
		return Certificate{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	c, err := s.FindCertificate(ctx, code)
	if err != nil {
		return Certificate{}, err
	}
	if _, err := s.manageableCourse(ctx, s.DB.Reader(), c.CourseID); apperr.Is(err, apperr.NotFound) {
		return Certificate{}, apperr.Hidden("training.error.certificate_not_found")
	} else if err != nil {
		return Certificate{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 500 {
		return Certificate{}, apperr.InvalidField("reason", "training.error.revoke_reason")
	}
	if c.Revoked {
		return Certificate{}, apperr.New(apperr.Conflict, "training.error.certificate_revoked")
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE training_certificates SET revoked_at = ?, revoke_reason = ? WHERE code = ? AND revoked_at = 0",
			db.Millis(s.Now()), reason, c.Code)
		if err != nil {
			return apperr.Wrap(err, "revoke")
		}
		if n, _ := res.RowsAffected(); n == 0 { // revoked meanwhile by someone else
			return apperr.New(apperr.Conflict, "training.error.certificate_revoked")
		}
		// The best score goes too: it may be the revoked result itself.
		res, err = tx.ExecContext(ctx, `UPDATE training_enrolments SET passed_at = 0, best_score = 0,
			attempts_counted_after = (SELECT COALESCE(MAX(id), 0) FROM training_attempts WHERE course_id = ? AND user_id = ?)
			WHERE course_id = ? AND user_id = ? AND passed_at <> 0`, c.CourseID, c.UserID, c.CourseID, c.UserID)
		if err != nil {
			return apperr.Wrap(err, "revoke pass")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if err := bumpEnrolment(ctx, tx, c.CourseID, c.UserID, figureDelta{passed: -1}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "certificate.revoke", ObjectType: "certificate", ObjectID: c.Code, UnitPath: c.UnitPath, Detail: reason})
	})
	if err != nil {
		return Certificate{}, err
	}
	return s.FindCertificate(ctx, c.Code)
}

// BulkFilter chooses the certificates of a bulk download.
type BulkFilter struct {
	CourseID int64
	UnitPath string
	OrgPath  string
	From, To time.Time // issued in [From, To); zero means open
}

// MaxBulk bounds one bulk download.
const MaxBulk = 5000

// BulkCertificates writes a zip of the PDFs of the certificates that match f and lie in the
// actor's administration (a province administrator its province, a unit or organisation
// administrator its subtree, a national administrator every province), for printing and handing
// out. A course of another province is not found.
func (s *Service) BulkCertificates(ctx context.Context, f BulkFilter, base string, w io.Writer) (int, error) {
	actor := authz.ActorFrom(ctx)
	if err := requireFigures(actor); err != nil {
		return 0, err
	}
	// Today's administrators hand out the certificates their units' learners earned before a
	// reorganisation: the scope and the unit filter apply where a certificate counts today.
	unitNow, orgNow := units.PathNow("t.unit_path"), orgs.PathNow("t.org_path")
	conds, args := actor.AdminScope().Orgs(orgNow, unitNow).And([]string{"t.revoked_at = 0"}, nil)
	if f.CourseID != 0 {
		if _, err := s.visibleCourse(ctx, s.DB.Reader(), f.CourseID); err != nil {
			return 0, err
		}
		conds = append(conds, "t.course_id = ?")
		args = append(args, f.CourseID)
	}
	where := strings.Join(conds, " AND ")
	if f.UnitPath != "" {
		where += " AND " + unitNow + " LIKE ?"
		args = append(args, f.UnitPath+"%")
	}
	if f.OrgPath != "" {
		where += " AND " + orgNow + " LIKE ?"
		args = append(args, f.OrgPath+"%")
	}
	if !f.From.IsZero() {
		where += " AND t.issued_at >= ?"
		args = append(args, db.Millis(f.From))
	}
	if !f.To.IsZero() {
		where += " AND t.issued_at < ?"
		args = append(args, db.Millis(f.To))
	}
	certs, err := s.listCerts(ctx, where, args)
	if err != nil {
		return 0, err
	}
	if len(certs) > MaxBulk {
		return 0, apperr.New(apperr.Invalid, "training.error.bulk_too_many", MaxBulk)
	}
	auditPath := f.UnitPath
	if auditPath == "" {
		auditPath = authz.ProvincePath(actor.HomeProvince())
	}
	if err := audit.RecordView(ctx, s.DB, audit.Entry{Action: "certificate.bulk", ObjectType: "certificate", UnitPath: auditPath,
		Detail: fmt.Sprintf("certificates=%d course=%d", len(certs), f.CourseID)}); err != nil {
		return 0, apperr.Wrap(err, "audit")
	}
	zw := zip.NewWriter(w)
	for _, c := range certs {
		pdf, err := renderCertificate(c, base)
		if err != nil {
			return 0, err
		}
		fw, err := zw.Create(c.Code + ".pdf")
		if err != nil {
			return 0, apperr.Wrap(err, "zip")
		}
		if _, err := fw.Write(pdf); err != nil {
			return 0, apperr.Wrap(err, "zip")
		}
	}
	return len(certs), apperr.Wrap(zw.Close(), "zip")
}
