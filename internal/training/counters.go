package training

import (
	"context"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// The mobilisation figures are counters (table training_figures, migration 0002): one row per
// course, unit path, organisation path and audience with the learners enrolled, started and
// passed. Every write that changes an enrolment's state — enrolment (self, roster, extra time,
// a first start), the first start of an attempt, the first pass, the revocation of a certificate
// (which withdraws the pass) — updates its row in the same transaction, so the counters always
// equal a count of training_enrolments.

// figureKey is one row of the counters.
type figureKey struct {
	courseID          int64
	unitPath, orgPath string
	audience          string
}

// figureDelta is a change to the counters of one key.
type figureDelta struct{ enrolled, started, passed int64 }

const bumpSQL = ` ON CONFLICT (course_id, unit_path, org_path, audience) DO UPDATE SET enrolled = training_figures.enrolled + excluded.enrolled,
	started = training_figures.started + excluded.started, passed = training_figures.passed + excluded.passed`

// bumpEnrolment adds to the counters of the row an enrolment belongs to.
func bumpEnrolment(ctx context.Context, tx *db.Tx, courseID, userID int64, d figureDelta) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO training_figures (course_id, unit_path, org_path, audience, enrolled, started, passed)
		SELECT course_id, unit_path, org_path, audience, ?, ?, ? FROM training_enrolments WHERE course_id = ? AND user_id = ?`+bumpSQL,
		d.enrolled, d.started, d.passed, courseID, userID)
	return apperr.Wrap(err, "figures counter")
}

// bumpKeys adds many changes at once, in multi-row statements.
func bumpKeys(ctx context.Context, tx *db.Tx, m map[figureKey]figureDelta) error {
	rows := make([][]any, 0, len(m))
	for k, d := range m {
		rows = append(rows, []any{k.courseID, k.unitPath, k.orgPath, k.audience, d.enrolled, d.started, d.passed})
	}
	return insertMany(ctx, tx, "training_figures", []string{"course_id", "unit_path", "org_path", "audience", "enrolled", "started", "passed"}, rows, bumpSQL)
}
