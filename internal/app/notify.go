package app

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// NotifyConfig configures the outbox's senders. Without an SMTP server, an SMS gateway or a Zalo
// Official Account, the messages of that channel go to the development file sender.
type NotifyConfig struct {
	SMTPAddr     string // host:port of the SMTP server
	SMTPFrom     string
	SMTPUser     string
	SMTPPassword string // environment only (LANTOA_SMTP_PASSWORD), never a flag: flags show in ps
	SMTPTLS      bool   // implicit TLS (port 465) instead of STARTTLS
	// BaseURL is the site's public address, used in links inside messages.
	BaseURL string
	// OutboxFile is where the development sender writes; "" means data/outbox.jsonl beside a SQLite
	// file, or the log on PostgreSQL.
	OutboxFile string
	// NoWorker leaves delivery to other instances (several instances may all run workers safely).
	NoWorker bool

	// SMS through a brand-name gateway: SMSProvider "esms" turns it on.
	SMSProvider  string
	SMSURL       string
	SMSAPIKey    string
	SMSSecretKey string // environment only (LANTOA_SMS_SECRET_KEY)
	SMSBrandname string
	SMSType      string
	SMSTemplate  string
	SMSUnicode   bool
	SMSSandbox   bool

	// Zalo Official Account: ZaloAppID turns it on.
	ZaloAppID        string
	ZaloSecretKey    string // environment only (LANTOA_ZALO_SECRET_KEY)
	ZaloRefreshToken string // environment only (LANTOA_ZALO_REFRESH_TOKEN): the bootstrap refresh token
	ZaloTemplates    znsTemplates
	ZaloDevelopment  bool
	ZaloOAuthURL     string
	ZaloCSURL        string
	ZaloZNSURL       string

	// envErr is an unreadable environment value, reported at start with what the flag would say.
	envErr error
}

// znsTemplates is the repeatable --zalo-zns-template KIND=TEMPLATE_ID.
type znsTemplates map[notify.Kind]string

func (z znsTemplates) String() string {
	var parts []string
	for k, id := range z {
		parts = append(parts, string(k)+"="+id)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Set adds one or more (comma-separated) KIND=TEMPLATE_ID pairs.
func (z znsTemplates) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, id, ok := strings.Cut(item, "=")
		kind, id := notify.Kind(strings.TrimSpace(k)), strings.TrimSpace(id)
		if !ok || !kind.Valid() || id == "" || strings.ContainsAny(id, " /?#") {
			var kinds []string
			for _, k := range notify.Kinds {
				kinds = append(kinds, string(k))
			}
			return fmt.Errorf("%q: cần dạng LOẠI-TIN=MÃ-MẪU-ZNS, loại tin là một trong %s / want KIND=ZNS_TEMPLATE_ID", item, strings.Join(kinds, ", "))
		}
		z[kind] = id
	}
	return nil
}

func notifyFlags(fs *flag.FlagSet, env Env, c *NotifyConfig) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", env.Getenv("LANTOA_SMTP_ADDR"), "SMTP server host:port for email (env LANTOA_SMTP_ADDR); empty writes email to the outbox file")
	fs.StringVar(&c.SMTPFrom, "smtp-from", envOr(env, "LANTOA_SMTP_FROM", "Lan Tỏa <no-reply@localhost>"), "sender address of email (env LANTOA_SMTP_FROM)")
	fs.StringVar(&c.SMTPUser, "smtp-user", env.Getenv("LANTOA_SMTP_USER"), "SMTP user name (env LANTOA_SMTP_USER); the password comes from LANTOA_SMTP_PASSWORD")
	fs.BoolVar(&c.SMTPTLS, "smtp-tls", env.Getenv("LANTOA_SMTP_TLS") == "1", "implicit TLS (port 465) instead of STARTTLS (env LANTOA_SMTP_TLS=1)")
	fs.StringVar(&c.BaseURL, "base-url", env.Getenv("LANTOA_BASE_URL"), "public address of the site, for links in messages (env LANTOA_BASE_URL)")
	fs.StringVar(&c.OutboxFile, "outbox-file", env.Getenv("LANTOA_OUTBOX_FILE"), "file the development sender writes messages to (env LANTOA_OUTBOX_FILE)")
	fs.BoolVar(&c.NoWorker, "no-outbox-worker", false, "do not deliver messages from this instance")
	c.SMTPPassword = env.Getenv("LANTOA_SMTP_PASSWORD")

	fs.StringVar(&c.SMSProvider, "sms-provider", env.Getenv("LANTOA_SMS_PROVIDER"), "brand-name SMS gateway: esms (env LANTOA_SMS_PROVIDER); empty writes SMS to the outbox file")
	fs.StringVar(&c.SMSURL, "sms-url", envOr(env, "LANTOA_SMS_URL", notify.ESMSURL), "the gateway's endpoint (env LANTOA_SMS_URL)")
	fs.StringVar(&c.SMSAPIKey, "sms-api-key", env.Getenv("LANTOA_SMS_API_KEY"), "the gateway account's ApiKey (env LANTOA_SMS_API_KEY); the SecretKey comes from LANTOA_SMS_SECRET_KEY")
	fs.StringVar(&c.SMSBrandname, "sms-brandname", env.Getenv("LANTOA_SMS_BRANDNAME"), "registered brand name the SMS shows as sender (env LANTOA_SMS_BRANDNAME)")
	fs.StringVar(&c.SMSType, "sms-type", envOr(env, "LANTOA_SMS_TYPE", "2"), "eSMS SmsType: 2 customer care (env LANTOA_SMS_TYPE)")
	fs.StringVar(&c.SMSTemplate, "sms-template", env.Getenv("LANTOA_SMS_TEMPLATE"), "text of an SMS, Go template over .Body .Subject .Link .Kind, to match the brand name's registered template (env LANTOA_SMS_TEMPLATE); default "+notify.DefaultSMSTemplate)
	fs.BoolVar(&c.SMSUnicode, "sms-unicode", env.Getenv("LANTOA_SMS_UNICODE") == "1", "send SMS with Vietnamese diacritics (env LANTOA_SMS_UNICODE=1); default without")
	fs.BoolVar(&c.SMSSandbox, "sms-sandbox", env.Getenv("LANTOA_SMS_SANDBOX") == "1", "the gateway's test mode: answers, sends nothing (env LANTOA_SMS_SANDBOX=1)")
	c.SMSSecretKey = env.Getenv("LANTOA_SMS_SECRET_KEY")

	fs.StringVar(&c.ZaloAppID, "zalo-app-id", env.Getenv("LANTOA_ZALO_APP_ID"), "Zalo app id authorised for the Official Account (env LANTOA_ZALO_APP_ID); the secret key and the first refresh token come from LANTOA_ZALO_SECRET_KEY and LANTOA_ZALO_REFRESH_TOKEN; empty writes Zalo messages to the outbox file")
	c.ZaloTemplates = znsTemplates{}
	if v := env.Getenv("LANTOA_ZALO_ZNS_TEMPLATES"); v != "" {
		if err := c.ZaloTemplates.Set(v); err != nil {
			c.envErr = fmt.Errorf("LANTOA_ZALO_ZNS_TEMPLATES: %w", err)
		}
	}
	fs.Var(c.ZaloTemplates, "zalo-zns-template", "approved ZNS template for a kind of message, KIND=TEMPLATE_ID, e.g. account_invitation=231677; repeatable (env LANTOA_ZALO_ZNS_TEMPLATES, comma-separated)")
	fs.BoolVar(&c.ZaloDevelopment, "zalo-zns-development", env.Getenv("LANTOA_ZALO_ZNS_DEVELOPMENT") == "1", "send ZNS in Zalo's development mode, to the OA's administrators only (env LANTOA_ZALO_ZNS_DEVELOPMENT=1)")
	fs.StringVar(&c.ZaloOAuthURL, "zalo-oauth-url", envOr(env, "LANTOA_ZALO_OAUTH_URL", notify.ZaloOAuthURL), "Zalo's OAuth v4 token endpoint (env LANTOA_ZALO_OAUTH_URL)")
	fs.StringVar(&c.ZaloCSURL, "zalo-cs-url", envOr(env, "LANTOA_ZALO_CS_URL", notify.ZaloCSURL), "Zalo's OA customer-service message endpoint (env LANTOA_ZALO_CS_URL)")
	fs.StringVar(&c.ZaloZNSURL, "zalo-zns-url", envOr(env, "LANTOA_ZALO_ZNS_URL", notify.ZaloZNSURL), "Zalo's ZNS template message endpoint (env LANTOA_ZALO_ZNS_URL)")
	c.ZaloSecretKey = env.Getenv("LANTOA_ZALO_SECRET_KEY")
	c.ZaloRefreshToken = env.Getenv("LANTOA_ZALO_REFRESH_TOKEN")
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

// senders builds the outbox's senders from c: each channel's real sender when it is configured,
// else the development file sender. A half-given configuration stops the start with what is missing.
func (c NotifyConfig) senders(d *db.DB, dev notify.Sender, base string) (map[notify.Channel]notify.Sender, error) {
	senders := map[notify.Channel]notify.Sender{notify.Email: dev, notify.SMS: dev, notify.Zalo: dev}
	if c.SMTPAddr != "" {
		senders[notify.Email] = &notify.SMTPSender{Addr: c.SMTPAddr, From: c.SMTPFrom, Username: c.SMTPUser, Password: c.SMTPPassword,
			ImplicitTLS: c.SMTPTLS, BaseURL: base}
	}
	client := &http.Client{Timeout: time.Minute}
	var errs []error
	switch c.SMSProvider {
	case "":
	case "esms":
		var missing []string
		for name, v := range map[string]string{"--sms-api-key": c.SMSAPIKey, "LANTOA_SMS_SECRET_KEY": c.SMSSecretKey, "--sms-brandname": c.SMSBrandname} {
			if strings.TrimSpace(v) == "" {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("--sms-provider esms: thiếu / missing %s", strings.Join(missing, ", ")))
		}
		tpl, err := notify.ParseSMSTemplate(c.SMSTemplate)
		if err != nil {
			errs = append(errs, fmt.Errorf("--sms-template: mẫu không đọc được / unreadable template: %w", err))
		}
		senders[notify.SMS] = &notify.SMSSender{Template: tpl, Unicode: c.SMSUnicode, Gateway: &notify.ESMSGateway{URL: c.SMSURL, APIKey: c.SMSAPIKey,
			SecretKey: c.SMSSecretKey, Brandname: c.SMSBrandname, SmsType: c.SMSType, Unicode: c.SMSUnicode, Sandbox: c.SMSSandbox, Client: client}}
	default:
		errs = append(errs, fmt.Errorf("--sms-provider %q: chỉ hỗ trợ esms / only esms is supported", c.SMSProvider))
	}
	if c.envErr != nil {
		errs = append(errs, c.envErr)
	}
	if c.ZaloAppID != "" {
		if c.ZaloSecretKey == "" {
			errs = append(errs, errors.New("--zalo-app-id: thiếu / missing LANTOA_ZALO_SECRET_KEY"))
		}
		// The refresh token may be stored already (a restart); without one, Zalo messages fail
		// with a reason the outbox shows, and the start goes on.
		senders[notify.Zalo] = &notify.ZaloSender{Templates: c.ZaloTemplates, Development: c.ZaloDevelopment, CSURL: c.ZaloCSURL, ZNSURL: c.ZaloZNSURL, Client: client,
			Auth: &notify.ZaloAuth{DB: d, AppID: c.ZaloAppID, SecretKey: c.ZaloSecretKey, Bootstrap: c.ZaloRefreshToken, URL: c.ZaloOAuthURL, Client: client}}
	} else if c.ZaloSecretKey != "" || c.ZaloRefreshToken != "" || len(c.ZaloTemplates) > 0 {
		errs = append(errs, errors.New("Zalo OA: thiếu --zalo-app-id / missing --zalo-app-id"))
	}
	return senders, errors.Join(errs...)
}
