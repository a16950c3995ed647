package accounts

// Phone-first onboarding. Most team members and learners have a cheap phone and no e-mail: their
// one-time password goes to that phone through the outbox (SMS, or Zalo for those who said so)
// instead of a printed list, and they may sign in with a six-digit code sent to the same phone.
// A phone is personal data (Decree 13/2023/NĐ-CP): it is kept in its national form and nothing
// else, in user_phones, and shown masked.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
	"github.com/lantoa/lantoa/internal/platform/vnphone"
)

// NormalizePhone reads a Vietnamese mobile number as typed and returns its national form, or an
// error on field.
func NormalizePhone(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	p, ok := vnphone.Normalize(s)
	if !ok || len(s) > 40 {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return "", apperr.InvalidField(field, "accounts.error.phone", s)
	}
	return p, nil
}

// ParsePhoneChannel reads how a person wants codes (a roster's "nhận qua" column): SMS unless Zalo
// is named; "" means SMS.
func ParsePhoneChannel(field, s string) (notify.Channel, error) {
	switch strings.ToLower(textfold.Fold(strings.TrimSpace(s))) {
	case "", "sms", "tin nhan":
		return notify.SMS, nil
	case "zalo":
		return notify.Zalo, nil
	}
	return "", apperr.InvalidField(field, "accounts.error.phone_channel")
}

// validatePhone normalises a new account's phone and its channel.
func (n *NewUser) validatePhone() error {
	var err error
	if n.Phone, err = NormalizePhone("phone", n.Phone); err != nil {
		return err
	}
	if n.Phone == "" {
		n.PhoneChannel = ""
		return nil
	}
	if n.PhoneChannel == "" {
		n.PhoneChannel = notify.SMS
	}
	if n.PhoneChannel != notify.SMS && n.PhoneChannel != notify.Zalo {
		return apperr.InvalidField("phone_channel", "accounts.error.phone_channel")
	}
	return nil
}

// MaskPhone hides the middle of a phone number for lists: 0905123123 → 0905***123.
func MaskPhone(p string) string { return vnphone.Mask(p) }

// SendsMessages tells whether accounts created here get their invitations through an outbox.
func (s *Service) SendsMessages() bool { return s.notify != nil }

// PhoneTaken tells which of the given national-form phones already sign in some account.
func (s *Service) PhoneTaken(ctx context.Context, phones []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(phones); start += 500 {
		part := phones[start:min(start+500, len(phones))]
		args := make([]any, len(part))
		for i, p := range part {
			args[i] = p
		}
		rows, err := s.DB.Reader().QueryContext(ctx, "SELECT phone FROM user_phones WHERE phone IN ("+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+")", args...)
		if err != nil {
			return nil, apperr.Wrap(err, "phones taken")
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "phones taken")
			}
			out[p] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, apperr.Wrap(err, "phones taken")
		}
	}
	return out, nil
}

// insertPhone stores a new account's phone inside tx; a number that already signs in another
// account is a conflict on field.
func insertPhone(ctx context.Context, tx *db.Tx, userID int64, phone string, ch notify.Channel, now int64, field string) error {
	if phone == "" {
		return nil
	}
	if ch == "" {
		ch = notify.SMS
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO user_phones (user_id, phone, channel, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
		userID, phone, string(ch), now, now)
	if db.IsUniqueViolation(err) {
		e := apperr.New(apperr.Conflict, "accounts.error.phone_taken", vnphone.Mask(phone))
		e.Field = field
		return e
	}
	return apperr.Wrap(err, "insert phone")
}

// AttachVerifiedPhone gives a new account, inside its creating transaction, a phone its identity
// provider verified (single sign-on). A number that already signs in another account is left out
// (false), never moved: that account's owner proved the number first. Audited, masked.
func AttachVerifiedPhone(ctx context.Context, tx *db.Tx, userID int64, phone string, now time.Time) (bool, error) {
	if phone == "" {
		return false, nil
	}
	var other int64
	err := tx.QueryRowContext(ctx, "SELECT user_id FROM user_phones WHERE phone = ?", phone).Scan(&other)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, apperr.Wrap(err, "phone taken")
	}
	if err := insertPhone(ctx, tx, userID, phone, notify.SMS, db.Millis(now), "phone"); err != nil {
		return false, err
	}
	return true, audit.Record(ctx, tx, audit.Entry{Action: "user.phone", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10),
		Detail: vnphone.Mask(phone) + " " + string(notify.SMS) + " sso"})
}

// Phone is an account's phone as administrators see it: masked.
type Phone struct {
	Masked  string         `json:"masked"`
	Channel notify.Channel `json:"channel"`
}

// PhoneOf returns the masked phone of u ("" when none). u comes from FindUser, which checked that
// the actor sees the account and recorded the view; the number itself never leaves masked.
func (s *Service) PhoneOf(ctx context.Context, u User) (Phone, error) {
	var p Phone
	var phone string
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT phone, channel FROM user_phones WHERE user_id = ?", u.ID).Scan(&phone, &p.Channel)
	if errors.Is(err, sql.ErrNoRows) {
		return Phone{}, nil
	}
	p.Masked = vnphone.Mask(phone)
	return p, apperr.Wrap(err, "phone of user")
}

// CheckPhone tells whether SetPhone(userID, phone) would be accepted, without writing: the actor
// must manage the account, the account must have no phone yet or this one, and the number must
// sign in no other account. An import checks every line with it before changing anything.
func (s *Service) CheckPhone(ctx context.Context, userID int64, phone, field string) error {
	_, err := s.checkPhone(ctx, s.DB.Reader(), userID, phone, field)
	return err
}

// checkPhone is CheckPhone; same reports that the account already has this number.
func (s *Service) checkPhone(ctx context.Context, q db.Querier, userID int64, phone, field string) (same bool, err error) {
	u, err := s.findUser(ctx, q, userID)
	if err != nil {
		return false, err
	}
	if !s.manages(authz.ActorFrom(ctx), u) {
		return false, apperr.InvalidField(field, "accounts.error.phone_not_managed", u.Username)
	}
	var old string
	err = q.QueryRowContext(ctx, "SELECT phone FROM user_phones WHERE user_id = ?", userID).Scan(&old)
	switch {
	case err == nil && old == phone:
		return true, nil
	case err == nil:
		return false, apperr.InvalidField(field, "accounts.error.phone_other", u.Username)
	case !errors.Is(err, sql.ErrNoRows):
		return false, apperr.Wrap(err, "phone of user")
	}
	var other int64
	err = q.QueryRowContext(ctx, "SELECT user_id FROM user_phones WHERE phone = ?", phone).Scan(&other)
	if err == nil {
		e := apperr.New(apperr.Conflict, "accounts.error.phone_taken", vnphone.Mask(phone))
		e.Field = field
		return false, e
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, apperr.Wrap(err, "phone taken")
	}
	return false, nil
}

// SetPhone gives an existing account a phone (an import naming a member already registered), on
// CheckPhone's conditions. Audited; the entry carries the masked number only.
func (s *Service) SetPhone(ctx context.Context, userID int64, phone string, ch notify.Channel, field string) error {
	if ch == "" {
		ch = notify.SMS
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		same, err := s.checkPhone(ctx, tx, userID, phone, field)
		if err != nil || same {
			return err
		}
		u, err := s.findUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := insertPhone(ctx, tx, userID, phone, ch, db.Millis(s.Now()), field); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.phone", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10),
			UnitPath: firstUnitPath(u.Grants), Detail: vnphone.Mask(phone) + " " + string(ch)})
	})
}

func firstUnitPath(gs []authz.Grant) string {
	for _, g := range gs {
		if g.UnitPath != "" {
			return g.UnitPath
		}
	}
	return ""
}

// queuePhoneInvitation queues, inside tx, the short message that replaces the printed slip: the
// username, the one-time password when there is one, and the sign-in address. Vietnamese first,
// then English, in one SMS-sized text.
func (s *Service) queuePhoneInvitation(ctx context.Context, tx *db.Tx, userID int64, username, password, phone string, ch notify.Channel, unitPath string) error {
	if s.notify == nil || phone == "" {
		return nil
	}
	where := s.signInWhere()
	var body string
	if password != "" {
		body = fmt.Sprintf("Lan Tỏa: tài khoản %s, mật khẩu dùng một lần %s. Đăng nhập tại %s rồi đặt mật khẩu mới. Không đưa mật khẩu cho ai.\n"+
			"Lan Tỏa: account %s, one-time password %s. Sign in at %s and choose a new password.", username, password, where, username, password, where)
	} else {
		body = fmt.Sprintf("Lan Tỏa: tài khoản %s đã được tạo. Đăng nhập tại %s bằng mã gửi qua điện thoại này.\n"+
			"Lan Tỏa: account %s is ready. Sign in at %s with a code sent to this phone.", username, where, username, where)
	}
	return s.queuePhone(ctx, tx, userID, phone, ch, unitPath, body, fmt.Sprintf("account_invitation:%s:%d", ch, userID), password)
}

// queuePasswordReset queues, inside tx, a temporary password set by an administrator to the
// account's phone, and returns where it went (nothing without a phone or an outbox).
func (s *Service) queuePasswordReset(ctx context.Context, tx *db.Tx, u User, password string) (Phone, error) {
	if s.notify == nil {
		return Phone{}, nil
	}
	var phone string
	var ch notify.Channel
	err := tx.QueryRowContext(ctx, "SELECT phone, channel FROM user_phones WHERE user_id = ?", u.ID).Scan(&phone, &ch)
	if errors.Is(err, sql.ErrNoRows) {
		return Phone{}, nil
	}
	if err != nil {
		return Phone{}, apperr.Wrap(err, "phone of user")
	}
	where := s.signInWhere()
	body := fmt.Sprintf("Lan Tỏa: mật khẩu tạm của tài khoản %s là %s. Đăng nhập tại %s rồi đặt mật khẩu mới. Không đưa mật khẩu cho ai.\n"+
		"Lan Tỏa: the temporary password of account %s is %s. Sign in at %s and choose a new password.", u.Username, password, where, u.Username, password, where)
	// One message per reset: the key carries the moment, so a second reset is not taken for this one.
	key := fmt.Sprintf("password_reset:%d:%d", u.ID, s.Now().UnixNano())
	if err := s.queuePhone(ctx, tx, u.ID, phone, ch, firstUnitPath(u.Grants), body, key, password); err != nil {
		return Phone{}, err
	}
	return Phone{Masked: vnphone.Mask(phone), Channel: ch}, nil
}

func (s *Service) signInWhere() string {
	if link := SignInURL(s.baseURL); link != "" {
		return link
	}
	return "trang đăng nhập Lan Tỏa"
}

// queuePhone queues body to phone on ch; otp, when set, is the secret the message carries (a code,
// a one-time password), given to a Zalo notification template as its "otp" parameter as the
// account_invitation ZNS template expects (see ZaloSender).
func (s *Service) queuePhone(ctx context.Context, tx *db.Tx, userID int64, phone string, ch notify.Channel, unitPath, body, dedupe, otp string) error {
	if ch == "" {
		ch = notify.SMS
	}
	m := notify.Message{Kind: notify.AccountInvitation, Channel: ch, Recipient: phone, UserID: userID,
		Body: body, Link: SignInURL(s.baseURL), DedupeKey: dedupe, UnitPath: unitPath}
	if ch == notify.Zalo && otp != "" {
		m.TemplateData = map[string]string{"otp": otp}
	}
	_, err := s.notify.Enqueue(ctx, tx, m)
	return err
}

// Phone sign-in codes.
const (
	// PhoneCodeTTL is how long a sign-in code works.
	PhoneCodeTTL = 5 * time.Minute
	// phoneCodeWindow is the period the limits below count over.
	phoneCodeWindow = 15 * time.Minute
	// At most this many codes per number and per client address in the window: enough for a
	// message that was slow to arrive, too few to flood a phone or to enumerate numbers.
	maxCodesPerPhone = 3
	maxCodesPerAddr  = 10
	// A code dies after this many wrong tries; the number and the address also count failures
	// with the password sign-in's limits.
	maxCodeAttempts   = 5
	phoneCodesKeptFor = 24 * time.Hour
	// The first keys of the advisory locks that serialise the limits' counts on PostgreSQL (events
	// use 7341).
	phoneLockClass = 7351
	addrLockClass  = 7352
)

// RetryAfter returns the wait an error asks for (zero when it is not a throttle).
func RetryAfter(err error) time.Duration {
	if err == nil {
		return 0
	}
	return apperr.As(err).RetryAfter
}

func throttled(after time.Duration) error {
	after = max(after.Round(time.Second), time.Second)
	minutes := int((after + time.Minute - 1) / time.Minute)
	return apperr.Throttled(after, "accounts.error.phone_code_throttled", minutes)
}

// phoneHash keys codes and failures by number without keeping the number a stranger typed.
func phoneHash(phone string) string {
	sum := sha256.Sum256([]byte("lantoa-phone:" + phone))
	return hex.EncodeToString(sum[:])
}

// phoneAttemptKey is a phone's line in login_attempts: a colon never appears in a username, so it
// cannot meet a password sign-in's count.
func phoneAttemptKey(hash string) string { return "tel:" + hash[:32] }

func codeHash(phoneHash, code string) string { return hashSecret(phoneHash + ":" + code) }

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", apperr.Wrap(err, "random code")
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// mayUsePhoneCode tells whether an account may sign in with a code: team members, learners and
// bridge-point operators may; anyone holding a staff role (StaffRole) must use a password and the
// second factor, since a phone number is easier to take over than both.
func mayUsePhoneCode(u User) bool {
	return !u.Disabled && len(u.Grants) > 0 && !isStaff(u.Grants)
}

// RequestPhoneCode sends a sign-in code to phone when it signs in an account allowed to use codes,
// and answers the same way whatever the number: nil, or the same throttle, or the same refusal of
// a malformed number. A row is written for every request (with no code sent for an unknown,
// disabled or staff number) so that the limits count every number alike.
func (s *Service) RequestPhoneCode(ctx context.Context, phoneInput, addr string) error {
	if s.notify == nil {
		// Without an outbox no code can leave: said before anything about the number.
		return apperr.New(apperr.Conflict, "accounts.error.phone_code_off")
	}
	phone, err := NormalizePhone("phone", phoneInput)
	if err == nil && phone == "" {
		err = apperr.InvalidField("phone", "accounts.error.phone_required")
	}
	if err != nil {
		return err
	}
	ph := phoneHash(phone)
	now := s.Now()
	r := s.DB.Reader()
	var userID int64
	var unitPath string
	var ch notify.Channel
	err = r.QueryRowContext(ctx, "SELECT user_id, channel FROM user_phones WHERE phone = ?", phone).Scan(&userID, &ch)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, "find phone")
	}
	refusal := "unknown"
	var username string
	if userID != 0 {
		u, err := s.findUser(ctx, r, userID)
		if err != nil {
			return err
		}
		username = u.Username
		unitPath = firstUnitPath(u.Grants)
		switch {
		case u.Disabled:
			refusal = "disabled"
		case !mayUsePhoneCode(u):
			refusal = "staff"
		default:
			refusal = ""
		}
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		// Counted in the writing transaction: on SQLite, where writers take turns, two requests at
		// once cannot both see room for one more code.
		if err := codeLimits(ctx, tx, ph, addr, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM phone_codes WHERE created_at < ?", db.Millis(now.Add(-phoneCodesKeptFor))); err != nil {
			return apperr.Wrap(err, "purge codes")
		}
		owner := int64(0)
		if refusal == "" {
			owner = userID
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO phone_codes (phone_hash, user_id, code_hash, addr, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			ph, db.NullInt(owner), codeHash(ph, code), addr, db.Millis(now), db.Millis(now.Add(PhoneCodeTTL))); err != nil {
			return apperr.Wrap(err, "insert code")
		}
		if refusal != "" {
			// Unknown numbers are recorded too (masked): someone trying numbers shows in the log.
			return audit.Record(ctx, tx, audit.Entry{ActorID: userID, Action: "phone_code.refuse", ObjectType: "phone", ObjectID: vnphone.Mask(phone),
				UnitPath: unitPath, Addr: addr, Detail: refusal})
		}
		body := fmt.Sprintf("Lan Tỏa: mã đăng nhập của bạn là %s, dùng một lần trong %d phút. Không đưa mã này cho ai.\n"+
			"Lan Tỏa: your sign-in code is %s (one use, %d minutes). Do not share it.", code, int(PhoneCodeTTL.Minutes()), code, int(PhoneCodeTTL.Minutes()))
		if err := s.queuePhone(ctx, tx, userID, phone, ch, unitPath, body, "", code); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: userID, Action: "phone_code.issue", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10),
			UnitPath: unitPath, Addr: addr, Detail: username + " " + string(ch)})
	})
}

// codeLimits refuses one more code for the number (its hash ph) or the address past their limits,
// with the time until the oldest code of the window leaves it.
func codeLimits(ctx context.Context, tx *db.Tx, ph, addr string, now time.Time) error {
	if tx.Engine() == db.Postgres {
		// PostgreSQL runs writers side by side: the number's and the address's locks make two
		// requests count one after the other. Number first, then address, always: no cycle.
		for _, k := range []struct {
			class int
			key   string
		}{{phoneLockClass, ph}, {addrLockClass, addr}} {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, hashtext(?))", k.class, k.key); err != nil {
				return apperr.Wrap(err, "lock code limits")
			}
		}
	}
	since := db.Millis(now.Add(-phoneCodeWindow))
	for _, lim := range []struct {
		col, val string
		max      int
	}{{"phone_hash", ph, maxCodesPerPhone}, {"addr", addr, maxCodesPerAddr}} {
		var n int
		var oldest sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), MIN(created_at) FROM phone_codes WHERE "+lim.col+" = ? AND created_at > ?", lim.val, since).
			Scan(&n, &oldest); err != nil {
			return apperr.Wrap(err, "count codes")
		}
		if n >= lim.max {
			return throttled(db.FromMillis(oldest.Int64).Add(phoneCodeWindow).Sub(now))
		}
	}
	return nil
}

// VerifyPhoneCode signs in with a code sent by RequestPhoneCode. A code works once, for
// PhoneCodeTTL, and dies after maxCodeAttempts wrong tries; failures count against the number and
// the address with the password sign-in's limits. Every refusal reads the same.
func (s *Service) VerifyPhoneCode(ctx context.Context, phoneInput, code, addr string) (User, error) {
	bad := apperr.New(apperr.Unauthenticated, "accounts.error.phone_code_bad")
	phone, err := NormalizePhone("phone", phoneInput)
	if err != nil || phone == "" {
		return User{}, bad
	}
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return User{}, apperr.InvalidField("code", "accounts.error.phone_code_format")
	}
	ph := phoneHash(phone)
	key := phoneAttemptKey(ph)
	now := s.Now()
	since := db.Millis(now.Add(-loginWindow))
	r := s.DB.Reader()
	var phoneFails, addrFails int
	var oldestPhone, oldestAddr sql.NullInt64
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE username = ? AND ok = 0 AND at > ?", key, since).Scan(&phoneFails, &oldestPhone); err != nil {
		return User{}, apperr.Wrap(err, "count failures")
	}
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE addr = ? AND ok = 0 AND at > ?", addr, since).Scan(&addrFails, &oldestAddr); err != nil {
		return User{}, apperr.Wrap(err, "count failures")
	}
	switch {
	case phoneFails >= maxFailuresPerUser:
		return User{}, throttled(db.FromMillis(oldestPhone.Int64).Add(loginWindow).Sub(now))
	case addrFails >= maxFailuresPerAddr:
		return User{}, throttled(db.FromMillis(oldestAddr.Int64).Add(loginWindow).Sub(now))
	}
	var u User
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var id int64
		var owner sql.NullInt64
		var hash string
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, code_hash FROM phone_codes WHERE phone_hash = ? AND used_at = 0 AND expires_at > ? AND attempts < ?
			ORDER BY created_at DESC, id DESC LIMIT 1`, ph, db.Millis(now), maxCodeAttempts).Scan(&id, &owner, &hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return apperr.Wrap(err, "find code")
		}
		ok := err == nil && owner.Valid && subtle.ConstantTimeCompare([]byte(hash), []byte(codeHash(ph, code))) == 1
		if ok {
			// Single use, across instances: only the request that flips used_at signs in.
			res, err := tx.ExecContext(ctx, "UPDATE phone_codes SET used_at = ? WHERE id = ? AND used_at = 0", db.Millis(now), id)
			if err != nil {
				return apperr.Wrap(err, "use code")
			}
			ok = affectedOne(res)
		}
		if ok {
			u, err = s.findUser(ctx, tx, owner.Int64)
			if err != nil {
				return err
			}
			// The account may have changed since the code went out (disabled, made an administrator).
			ok = mayUsePhoneCode(u)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO login_attempts (at, username, addr, ok) VALUES (?, ?, ?, ?)", db.Millis(now), key, addr, boolInt(ok)); err != nil {
			return apperr.Wrap(err, "record attempt")
		}
		if !ok {
			if id != 0 {
				if _, err := tx.ExecContext(ctx, "UPDATE phone_codes SET attempts = attempts + 1 WHERE id = ?", id); err != nil {
					return apperr.Wrap(err, "count attempt")
				}
			}
			return audit.Record(ctx, tx, audit.Entry{ActorID: owner.Int64, Action: "phone_code.refuse", ObjectType: "phone", ObjectID: vnphone.Mask(phone),
				UnitPath: firstUnitPath(u.Grants), Addr: addr, Detail: "bad_code"})
		}
		// Every other code still out for this number dies with this sign-in.
		if _, err := tx.ExecContext(ctx, "UPDATE phone_codes SET used_at = ? WHERE phone_hash = ? AND used_at = 0", db.Millis(now), ph); err != nil {
			return apperr.Wrap(err, "retire codes")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", db.Millis(now), u.ID); err != nil {
			return apperr.Wrap(err, "last login")
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Action: "phone_code.verify", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10),
			UnitPath: firstUnitPath(u.Grants), Addr: addr})
	})
	if err != nil {
		return User{}, err
	}
	if u.ID == 0 || !mayUsePhoneCode(u) {
		return User{}, bad
	}
	if u.MustChangePassword {
		// The one-time password sent with the invitation is spent by this sign-in: it is replaced by
		// a secret nobody holds, so the copy left in the outbox opens nothing. The person goes on
		// with codes; an administrator's reset gives them a password again.
		plain, _ := newSecret("")
		hash, err := HashPassword(ctx, plain)
		if err != nil {
			return User{}, apperr.Wrap(err, "hash password")
		}
		err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ? AND must_change_password = 1",
				hash, db.Millis(now), u.ID)
			return apperr.Wrap(err, "spend one-time password")
		})
		if err != nil {
			return User{}, err
		}
		u.MustChangePassword = false
	}
	return u, nil
}

func affectedOne(res sql.Result) bool {
	n, err := res.RowsAffected()
	return err == nil && n == 1
}
