package ceremony

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// ChaseEvery is how often one point may be chased.
const ChaseEvery = 30 * time.Minute

// MayChase tells whether the actor may chase point p: an administrator of its unit or above (the
// province for every point, a district's administrators for the district's own point and its
// communes'). Operators may not.
func MayChase(a *authz.Actor, p Point) bool { return a.AdministersUnit(p.UnitPath) }

// ChaseResult tells what a chase did.
type ChaseResult struct {
	// Chased counts the points reminded; Queued the messages queued for them.
	Chased int `json:"chased"`
	Queued int `json:"queued"`
	// TooSoon counts points skipped because they were chased less than ChaseEvery ago;
	// NoRecipient those with neither an operator with an e-mail address nor a contact phone.
	TooSoon     int `json:"too_soon"`
	NoRecipient int `json:"no_recipient"`
}

type chaseRecipient struct {
	userID    int64
	channel   notify.Channel
	recipient string
}

// phoneDigits keeps a phone number's digits (and a leading +) for an SMS recipient.
func phoneDigits(p string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(p) {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() < 8 {
		return ""
	}
	return b.String()
}

// chaseOne queues the reminders of one point inside tx, unless it was chased less than ChaseEvery
// ago; it returns how many messages were queued (0 with recent == true when too soon).
func (s *Service) chaseOne(ctx context.Context, tx *db.Tx, c Ceremony, province string, p Point, now time.Time) (queued int, recent bool, err error) {
	var rs []chaseRecipient
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT u.id, u.email FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE g.role = ? AND g.unit_path = ? AND u.disabled = 0 AND u.email <> '' ORDER BY u.id`, string(authz.BridgeOperator), p.UnitPath)
	if err != nil {
		return 0, false, apperr.Wrap(err, "chase recipients")
	}
	for rows.Next() {
		var r chaseRecipient
		if err := rows.Scan(&r.userID, &r.recipient); err != nil {
			rows.Close()
			return 0, false, apperr.Wrap(err, "chase recipients")
		}
		r.channel = notify.Email
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, apperr.Wrap(err, "chase recipients")
	}
	if phone := phoneDigits(p.ContactPhone); phone != "" {
		rs = append(rs, chaseRecipient{channel: notify.SMS, recipient: phone})
	}
	if len(rs) == 0 {
		return 0, false, nil
	}
	// One chase per point per ChaseEvery, decided by the update itself so that two
	// administrators pressing at once chase once.
	res, err := tx.ExecContext(ctx, "UPDATE bridge_points SET last_chased_at = ?, last_chased_by = ? WHERE id = ? AND last_chased_at <= ?",
		db.Millis(now), db.NullInt(authz.ActorFrom(ctx).UserID), p.ID, db.Millis(now.Add(-ChaseEvery)))
	if err != nil {
		return 0, false, apperr.Wrap(err, "chase point")
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, false, apperr.Wrap(err, "chase point")
	} else if n == 0 {
		return 0, true, nil
	}
	var missing []string
	for _, it := range ChecklistItems {
		if !p.Checklist.Item(it) {
			missing = append(missing, checklistNames[it])
		}
	}
	link := ""
	if s.baseURL != "" {
		link = fmt.Sprintf("%s/ceremonies/%d/points/%d", strings.TrimRight(s.baseURL, "/"), c.ID, p.ID)
	}
	when := c.StartsAt.In(VietnamTime).Format("15:04 ngày 02/01/2006")
	for _, r := range rs {
		m := notify.Message{Kind: notify.ReadinessChaser, Channel: r.channel, Recipient: r.recipient, UserID: r.userID, Link: link, UnitPath: p.UnitPath,
			DedupeKey: fmt.Sprintf("ceremony_chase:%d:%s:%s:%d", p.ID, r.channel, r.recipient, db.Millis(now))}
		if r.channel == notify.Email {
			m.Subject = "Đôn đốc chuẩn bị điểm cầu " + p.Name
			m.Body = fmt.Sprintf("Kính gửi cán bộ phụ trách điểm cầu %s,\n\n%s bắt đầu lúc %s. Điểm cầu của đơn vị chưa sẵn sàng: mới hoàn thành %d/%d hạng mục kiểm tra kỹ thuật; còn thiếu: %s.\n\nĐề nghị hoàn thành kiểm tra kỹ thuật và cập nhật trên Lan Tỏa.\n\nLan Tỏa — Phong trào chuyển đổi số %s",
				p.Name, c.Title, when, p.Checklist.Done(), len(ChecklistItems), strings.Join(missing, ", "), province)
		} else {
			m.Body = fmt.Sprintf("Lan Toa: diem cau %s chua san sang (%d/%d hang muc). Le phat dong bat dau %s. De nghi hoan thanh kiem tra ky thuat.",
				asciiFold(p.Name), p.Checklist.Done(), len(ChecklistItems), c.StartsAt.In(VietnamTime).Format("15:04 02/01/2006"))
		}
		if _, err := s.notify.Enqueue(ctx, tx, m); err != nil {
			return 0, false, err
		}
	}
	err = audit.Record(ctx, tx, audit.Entry{Action: "ceremony.chase", ObjectType: "bridge_point", ObjectID: strconv.FormatInt(p.ID, 10), UnitPath: p.UnitPath,
		Detail: fmt.Sprintf("%d/%d recipients=%d", p.Checklist.Done(), len(ChecklistItems), len(rs))})
	return len(rs), false, err
}

// provinceInSentence names the ceremony's province as a reminder's sentence reads it ("tỉnh Quảng
// Ngãi", "thành phố Hà Nội"), from the unit tree; another province's ceremony is not found.
func (s *Service) provinceInSentence(ctx context.Context, id int64) (string, error) {
	c, err := s.Find(ctx, id)
	if err != nil {
		return "", err
	}
	u, err := s.Units.Find(ctx, c.Province)
	if err != nil {
		return "", err
	}
	return units.InSentence(u.Name), nil
}

// checklistNames are the checklist items' Vietnamese names, for the reminder's text.
var checklistNames = map[string]string{
	"line": "đường truyền", "camera": "camera", "microphone": "micro", "screen": "màn hình", "sound": "âm thanh", "rehearsal": "tham gia tổng duyệt",
}

// asciiFold strips Vietnamese diacritics for an SMS (unaccented text fits one segment).
func asciiFold(s string) string {
	const from = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
	const to = "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyydAAAAAAAAAAAAAAAAAEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYYD"
	fr, tr := []rune(from), []rune(to)
	m := make(map[rune]rune, len(fr))
	for i, r := range fr {
		m[r] = tr[i]
	}
	out := []rune(s)
	for i, r := range out {
		if x, ok := m[r]; ok {
			out[i] = x
		}
	}
	return string(out)
}

// ChasePoint sends one not-ready point a reminder: an e-mail to each of its operators and an SMS to
// its technical contact, through the outbox. A point chased less than ChaseEvery ago, a point that
// is ready, and a point with nobody to remind are refused with a message.
func (s *Service) ChasePoint(ctx context.Context, id, pid int64) (ChaseResult, error) {
	a := authz.ActorFrom(ctx)
	if s.notify == nil {
		return ChaseResult{}, apperr.New(apperr.Conflict, "ceremony.error.no_outbox")
	}
	province, err := s.provinceInSentence(ctx, id)
	if err != nil {
		return ChaseResult{}, err
	}
	var res ChaseResult
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.find(ctx, tx, id)
		if err != nil {
			return err
		}
		p, err := s.loadPoint(ctx, tx, id, pid)
		if err != nil {
			return err
		}
		if !MayChase(a, p) {
			return refuseTouch(a, "ceremony.error.point_not_found")
		}
		if p.Retired {
			return apperr.New(apperr.Conflict, "ceremony.error.point_retired")
		}
		if p.State != NotReady {
			return apperr.New(apperr.Conflict, "ceremony.error.chase_ready")
		}
		now := s.Now()
		n, recent, err := s.chaseOne(ctx, tx, c, province, p, now)
		if err != nil {
			return err
		}
		if recent {
			next := p.LastChasedAt.Add(ChaseEvery)
			return apperr.New(apperr.Conflict, "ceremony.error.chase_too_soon", p.LastChasedAt.In(VietnamTime).Format("15:04"), next.In(VietnamTime).Format("15:04"))
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "ceremony.error.chase_nobody")
		}
		res = ChaseResult{Chased: 1, Queued: n}
		return nil
	})
	return res, err
}

// ChaseDistrict reminds every not-ready point of a district (its own and its communes') that the
// actor may chase and that was not chased in the last ChaseEvery.
func (s *Service) ChaseDistrict(ctx context.Context, id int64, district string) (ChaseResult, error) {
	a := authz.ActorFrom(ctx)
	if s.notify == nil {
		return ChaseResult{}, apperr.New(apperr.Conflict, "ceremony.error.no_outbox")
	}
	if district == "" || len(district) > 10 {
		return ChaseResult{}, apperr.InvalidField("district", "ceremony.error.district")
	}
	province, err := s.provinceInSentence(ctx, id)
	if err != nil {
		return ChaseResult{}, err
	}
	points, err := s.ListPoints(ctx, id, PointFilter{DistrictCode: district})
	if err != nil {
		return ChaseResult{}, err
	}
	var targets []Point
	inScope := 0
	for _, p := range points {
		if !MayChase(a, p) {
			continue
		}
		inScope++
		if p.State == NotReady {
			targets = append(targets, p)
		}
	}
	if inScope == 0 {
		// A district outside the actor's scope (or an operator's own point) is "not found"; a
		// national administrator, who reads every point and chases none, is refused.
		return ChaseResult{}, refuseTouch(a, "ceremony.error.district")
	}
	if len(targets) == 0 {
		return ChaseResult{}, nil
	}
	var res ChaseResult
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res = ChaseResult{}
		c, err := s.find(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.Now()
		for _, t := range targets {
			// Re-read inside the transaction: the point may have become ready meanwhile.
			p, err := s.loadPoint(ctx, tx, id, t.ID)
			if err != nil {
				return err
			}
			if p.Retired || p.State != NotReady {
				continue
			}
			n, recent, err := s.chaseOne(ctx, tx, c, province, p, now)
			if err != nil {
				return err
			}
			switch {
			case recent:
				res.TooSoon++
			case n == 0:
				res.NoRecipient++
			default:
				res.Chased++
				res.Queued += n
			}
		}
		return nil
	})
	return res, err
}
