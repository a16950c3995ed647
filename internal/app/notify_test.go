package app

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func notifyConfig(t *testing.T, vars map[string]string, args ...string) (NotifyConfig, error) {
	t.Helper()
	env := Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return vars[k] }}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c NotifyConfig
	notifyFlags(fs, env, &c)
	return c, fs.Parse(args)
}

// TestNotifySendersFromConfig: each channel gets its real sender when configured and the
// development file sender otherwise; a half-given configuration stops the start saying what is missing.
func TestNotifySendersFromConfig(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	dev := &notify.FileSender{}
	c, err := notifyConfig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.senders(d, dev, "https://lantoa.test")
	if err != nil || s[notify.Email] != dev || s[notify.SMS] != dev || s[notify.Zalo] != dev {
		t.Fatalf("without configuration: %v %v", s, err)
	}

	secrets := map[string]string{"LANTOA_SMS_SECRET_KEY": "sms-secret", "LANTOA_ZALO_SECRET_KEY": "zalo-secret", "LANTOA_ZALO_REFRESH_TOKEN": "rt-1",
		"LANTOA_ZALO_ZNS_TEMPLATES": "report_reminder=300100"}
	c, err = notifyConfig(t, secrets, "--sms-provider", "esms", "--sms-api-key", "k", "--sms-brandname", "QUANGNGAI", "--sms-template", "LanToa: {{.Body}}",
		"--zalo-app-id", "4291763606161179100", "--zalo-zns-template", "account_invitation=231677,exam_schedule=231678")
	if err != nil {
		t.Fatal(err)
	}
	s, err = c.senders(d, dev, "https://lantoa.test")
	if err != nil {
		t.Fatal(err)
	}
	sms, ok := s[notify.SMS].(*notify.SMSSender)
	if !ok {
		t.Fatalf("SMS sender %T", s[notify.SMS])
	}
	gw := sms.Gateway.(*notify.ESMSGateway)
	if gw.APIKey != "k" || gw.SecretKey != "sms-secret" || gw.Brandname != "QUANGNGAI" || gw.URL != notify.ESMSURL || gw.SmsType != "2" || sms.Unicode {
		t.Errorf("eSMS gateway %+v", gw)
	}
	if text, err := sms.Text(notify.Message{Body: "Nộp báo cáo"}); text != "LanToa: Nop bao cao" || err != nil {
		t.Errorf("SMS text %q %v", text, err)
	}
	z, ok := s[notify.Zalo].(*notify.ZaloSender)
	if !ok || z.Auth.AppID != "4291763606161179100" || z.Auth.SecretKey != "zalo-secret" || z.Auth.Bootstrap != "rt-1" || z.ZNSURL != notify.ZaloZNSURL ||
		z.Templates[notify.AccountInvitation] != "231677" || z.Templates[notify.ExamSchedule] != "231678" || z.Templates[notify.ReportReminder] != "300100" {
		t.Errorf("Zalo sender %+v", z)
	}
	if s[notify.Email] != dev {
		t.Errorf("email without --smtp-addr: %T", s[notify.Email])
	}

	bad := []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"--sms-provider", "esms", "--sms-api-key", "k"}, "LANTOA_SMS_SECRET_KEY"},
		{secrets, []string{"--sms-provider", "esms", "--sms-api-key", "k", "--sms-brandname", "B", "--sms-template", "{{.Body"}, "--sms-template"},
		{nil, []string{"--sms-provider", "viettel"}, "only esms"},
		{map[string]string{"LANTOA_ZALO_REFRESH_TOKEN": "rt"}, nil, "--zalo-app-id"},
		{nil, []string{"--zalo-app-id", "1"}, "LANTOA_ZALO_SECRET_KEY"},
		{map[string]string{"LANTOA_ZALO_ZNS_TEMPLATES": "otp=1"}, nil, "LANTOA_ZALO_ZNS_TEMPLATES"},
	}
	for _, b := range bad {
		c, err := notifyConfig(t, b.vars, b.args...)
		if err == nil {
			_, err = c.senders(d, dev, "")
		}
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v %v: %v, want an error naming %s", b.vars, b.args, err, b.want)
		}
	}
	if _, err := notifyConfig(t, nil, "--zalo-zns-template", "spam=1"); err == nil {
		t.Error("--zalo-zns-template with an unknown kind accepted")
	}
}
