package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// SignInURL is the address of the sign-in page under base ("" when the site's address is unknown).
func SignInURL(base string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		return ""
	}
	return base + "/login"
}

// queueInvitation queues, inside tx (the transaction creating the account), an invitation to a new
// account with an e-mail address: Vietnamese first, English below; it carries the username and
// the sign-in address but never the password, which the administrator hands over separately. It
// does nothing without an outbox or an address. Invitations are a mandatory kind of message
// (notify.AccountInvitation): an earlier unsubscription does not stop them.
func (s *Service) queueInvitation(ctx context.Context, tx *db.Tx, userID int64, n NewUser, g authz.Grant) error {
	if s.notify == nil || n.Email == "" {
		return nil
	}
	// The movement is the province's own, named from the unit tree; a national account's is the
	// country's.
	movementVI, movementEN := "Phong trào chuyển đổi số", "the Digital Transformation Movement"
	if code := authz.ProvinceOfPath(g.UnitPath); code != "" {
		var province string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM units WHERE code = ? AND level = 'province'
			ORDER BY CASE WHEN valid_to = '' THEN 0 ELSE 1 END, valid_from DESC LIMIT 1`, code).Scan(&province); err != nil {
			return apperr.Wrap(err, "province of invitation")
		}
		movementVI += " " + units.InSentence(province)
		movementEN += " of " + province
	}
	name := n.DisplayName
	if name == "" {
		name = n.Username
	}
	link := SignInURL(s.baseURL)
	where, whereEN := "trên trang đăng nhập của Lan Tỏa", "on the Lan Tỏa sign-in page"
	if link != "" {
		where, whereEN = "tại "+link, "at "+link
	}
	body := fmt.Sprintf(`Xin chào %s,

Quản trị viên đã tạo cho bạn một tài khoản trên Lan Tỏa, hệ thống của %s.

Tên đăng nhập: %s
Đăng nhập %s

Thư này không chứa mật khẩu: quản trị viên sẽ trao trực tiếp cho bạn mật khẩu dùng một lần. Hãy đổi mật khẩu ngay sau lần đăng nhập đầu tiên. Nếu bạn không chờ thư này, hãy báo cho quản trị viên và bỏ qua thư.

---

Hello %s,

An administrator has created an account for you on Lan Tỏa, the platform of %s.

Username: %s
Sign in %s

This e-mail does not contain your password: the administrator will hand you a one-time password separately. Change it right after your first sign-in. If you did not expect this e-mail, tell the administrator and ignore it.

Lan Tỏa — %s`, name, movementVI, n.Username, where, name, movementEN, n.Username, whereEN, movementVI)
	_, err := s.notify.Enqueue(ctx, tx, notify.Message{
		Kind: notify.AccountInvitation, Channel: notify.Email, Recipient: n.Email, UserID: userID,
		Subject:   "Tài khoản Lan Tỏa của bạn / Your Lan Tỏa account: " + n.Username,
		Body:      body,
		Link:      link,
		DedupeKey: fmt.Sprintf("account_invitation:%d", userID),
		UnitPath:  g.UnitPath,
	})
	if ae := apperr.As(err); ae != nil && ae.Kind == apperr.Invalid && ae.Field == "recipient" {
		// An address the outbox cannot send to is a mistake in the form's e-mail field.
		return apperr.InvalidField("email", "accounts.error.email")
	}
	return err
}
