package accounts_test

import (
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// Creating an account with an e-mail address queues exactly one invitation in the same
// transaction: Vietnamese first, English below, the username and the sign-in address, never the
// password. Without an address nothing is queued; a creation that fails queues nothing.
func TestCreateUserQueuesInvitation(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		_, sys := setup(t, d)
		out := notify.NewService(d)
		s := accounts.NewService(d, accounts.WithNotify(out, "https://lantoa.quangngai.gov.vn/"))
		invitations := func() []notify.Message {
			t.Helper()
			list, err := out.List(sys, notify.Filter{Kind: notify.AccountInvitation})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		const secret = "Mat-khau-mot-lan-9731"
		u, err := s.CreateUser(sys, accounts.NewUser{Username: "ubnd.bato", DisplayName: "Nguyễn Văn An", Email: " An.Nguyen@BaTo.QuangNgai.gov.vn ",
			Password: secret, Role: authz.UnitAdmin, UnitCode: "535", MustChangePassword: true})
		if err != nil {
			t.Fatal(err)
		}
		list := invitations()
		if len(list) != 1 {
			t.Fatalf("%d invitations queued, want 1", len(list))
		}
		m := list[0]
		if m.Recipient != "an.nguyen@bato.quangngai.gov.vn" || m.UserID != u.ID || m.Channel != notify.Email || m.Status != notify.Pending {
			t.Errorf("invitation %+v", m)
		}
		if m.Link != "https://lantoa.quangngai.gov.vn/login" || !strings.Contains(m.Body, "https://lantoa.quangngai.gov.vn/login") {
			t.Errorf("sign-in link %q in %q", m.Link, m.Body)
		}
		vi, en := strings.Index(m.Body, "Tên đăng nhập: ubnd.bato"), strings.Index(m.Body, "Username: ubnd.bato")
		if vi < 0 || en < 0 || vi > en {
			t.Errorf("want the username in Vietnamese first, then English:\n%s", m.Body)
		}
		if strings.Contains(m.Body, secret) || strings.Contains(m.Subject, secret) {
			t.Errorf("the invitation carries the password:\n%s", m.Body)
		}
		if !strings.Contains(m.Body, "không chứa mật khẩu") || !strings.Contains(m.Body, "does not contain your password") {
			t.Errorf("the invitation should say the password comes separately:\n%s", m.Body)
		}

		// No address, no invitation.
		if _, err := s.CreateUser(sys, accounts.NewUser{Username: "ubnd.batrang", Password: pw, Role: authz.UnitAdmin, UnitCode: "535"}); err != nil {
			t.Fatal(err)
		}
		// A duplicate username fails and queues nothing.
		_, err = s.CreateUser(sys, accounts.NewUser{Username: "ubnd.bato", Email: "other@bato.vn", Password: pw, Role: authz.UnitAdmin, UnitCode: "535"})
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("duplicate username: %v", err)
		}
		// An address the outbox cannot deliver to is refused on the e-mail field; nothing is created.
		_, err = s.CreateUser(sys, accounts.NewUser{Username: "ubnd.bason", Email: "a@b@c.vn", Password: pw, Role: authz.UnitAdmin, UnitCode: "535"})
		if ae := apperr.As(err); ae == nil || ae.Field != "email" {
			t.Fatalf("undeliverable address: %#v", err)
		}
		if _, err := s.FindByUsername(sys, "ubnd.bason"); err == nil {
			t.Error("the account with the refused address was created")
		}
		if n := len(invitations()); n != 1 {
			t.Errorf("%d invitations after the other creations, want 1", n)
		}

		// Without a known site address the invitation still goes, pointing at the sign-in page by name.
		s = accounts.NewService(d, accounts.WithNotify(out, ""))
		if _, err := s.CreateUser(sys, accounts.NewUser{Username: "gv.bato", Email: "gv@bato.vn", Password: pw, Role: authz.UnitAdmin, UnitCode: "535"}); err != nil {
			t.Fatal(err)
		}
		list = invitations()
		if len(list) != 2 || list[0].Link != "" || !strings.Contains(list[0].Body, "trang đăng nhập") {
			t.Errorf("invitation without a base address: %+v", list)
		}
	})
}
