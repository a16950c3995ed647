package app

import (
	"flag"
)

// NotifyConfig configures the outbox's senders. Without an SMTP server, email (like SMS and Zalo OA,
// which have no production sender yet) goes to the development file sender.
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
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}
