package accounts_test

import (
	"context"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func TestCommonPassword(t *testing.T) {
	common := []string{
		"aaaaaaaaaaaa", "AAAAAAAAAAAAAAAA", "111111111111", "abcabcabcabc", "121212121212", "abcdabcdabcd",
		"123456789012", "098765432109", "abcdefghijkl", "qwertyuiopas", "1qaz2wsx3edc", "mnbvcxzlkjhg",
		"matkhau123456", "MatKhau123456", "Mật khẩu 123456", "matkhau@123456", "123456matkhau", "matkhaumatkhau",
		"anhyeuem123456", "Anh yêu em 2023", "vietnam@2025!", "chuyendoiso2023", "iloveyou1234", "password1234",
		"qwerty123456", "1234567890qwerty", "trustno1trustno1", "123456789123", "passwordpassword",
	}
	for _, p := range common {
		if !accounts.CommonPassword(p) {
			t.Errorf("%q is accepted", p)
		}
	}
	fine := []string{
		"mật khẩu thử nghiệm 2023", "lantoa-demo-2023", "bench-login-password-2026", "mèo vàng ăn bánh đa cua",
		"correct horse battery staple", "matkhau83917x", "Ba Tơ 7 ngày 7 người", "q8#Vd!2mK9zP", "tinh doan quang ngai 51",
	}
	for _, p := range fine {
		if accounts.CommonPassword(p) {
			t.Errorf("%q is refused", p)
		}
	}
}

// TestCommonPasswordRefusedEverywhere: every way of setting a password refuses a common one on
// the field password — an administrator's (and the command line's) CreateUser, self-registration
// and a change by the user.
func TestCommonPasswordRefusedEverywhere(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		for _, p := range []string{"aaaaaaaaaaaa", "matkhau123456"} {
			_, err := s.CreateUser(sys, accounts.NewUser{Username: "pw.admin", Password: p, Role: authz.UnitAdmin, UnitCode: "535"})
			if ae := apperr.As(err); err == nil || ae.Kind != apperr.Invalid || ae.Field != "password" || ae.Key != "accounts.error.password_common" {
				t.Errorf("create with %q: %v", p, err)
			}
			_, err = s.Register(context.Background(), accounts.NewUser{Username: "pw.learner", Password: p, UnitCode: "535"})
			if ae := apperr.As(err); err == nil || ae.Field != "password" || ae.Key != "accounts.error.password_common" {
				t.Errorf("register with %q: %v", p, err)
			}
		}
		u, err := s.CreateUser(sys, accounts.NewUser{Username: "pw.user", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		err = s.SetPassword(sys, u.ID, "mật khẩu đủ dài 2023", "anhyeuem123456")
		if ae := apperr.As(err); err == nil || ae.Field != "password" || ae.Key != "accounts.error.password_common" {
			t.Errorf("change to a common password: %v", err)
		}
	})
}
