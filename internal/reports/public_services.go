package reports

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/pubservices"
)

// PublicServicesSource gives a unit's online public services before and after its province's
// launch (*pubservices.Service has it). The summary of a province's period carries the province's
// comparison in its page and its exports.
type PublicServicesSource interface {
	ProvinceSummary(ctx context.Context, path string) (pubservices.Summary, bool, error)
}

// WithPublicServices lets the summaries carry the province's online public services before and
// after its launch (issue 19, item 6).
func WithPublicServices(src PublicServicesSource) ServiceOption {
	return func(s *Service) { s.publicServices = src }
}

// publicServicesOf is the comparison of the province of a provincial period, nil when there is no
// source, the period is national, or the province imported no statistics.
func (s *Service) publicServicesOf(ctx context.Context, p Period) (*pubservices.Summary, error) {
	if s.publicServices == nil || p.National || p.Province == "" {
		return nil, nil
	}
	sum, ok, err := s.publicServices.ProvinceSummary(ctx, "/"+p.Province+"/")
	if err != nil || !ok {
		return nil, err
	}
	return &sum, nil
}

// psPct writes a share in percent with one decimal, or a dash.
func psPct(p *float64) string {
	if p == nil {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%.1f %%", *p), ".", ",", 1)
}

// psPts writes a change in percentage points with its sign, or a dash.
func psPts(p *float64) string {
	if p == nil {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%+.1f", *p), ".", ",", 1)
}

// psLines are the comparison's lines: the dossiers counted on each side, then the three shares
// with their change in percentage points. Each is {label, before, after, change}.
func psLines(ps pubservices.Summary, t i18n.Translator) [][]string {
	b, a := ps.Before, ps.After
	n := func(v int64) string { return FormatNumber(float64(v)) }
	return [][]string{
		{t("reports.ps.months"), n(int64(b.Months)), n(int64(a.Months)), ""},
		{t("pubservices.col.received"), n(b.Received), n(a.Received), ""},
		{t("pubservices.col.online"), n(b.Online), n(a.Online), ""},
		{t("pubservices.col.fully_online"), n(b.FullyOnline), n(a.FullyOnline), ""},
		{t("pubservices.col.paid_online"), n(b.PaidOnline), n(a.PaidOnline), ""},
		{t("pubservices.online_share"), psPct(b.OnlineShare), psPct(a.OnlineShare), psPts(ps.Change.OnlineShare)},
		{t("pubservices.fully_online_share"), psPct(b.FullyOnlineShare), psPct(a.FullyOnlineShare), psPts(ps.Change.FullyOnlineShare)},
		{t("pubservices.paid_online_share"), psPct(b.PaidOnlineShare), psPct(a.PaidOnlineShare), psPts(ps.Change.PaidOnlineShare)},
	}
}

// psHeader is the comparison table's header.
func psHeader(t i18n.Translator) []string {
	return []string{t("reports.col.item"), t("reports.ps.before"), t("reports.ps.after"), t("reports.ps.change")}
}

// psIntro says which launch the comparison is about, or that there is none yet.
func psIntro(ps pubservices.Summary, t i18n.Translator) string {
	if ps.LaunchAt == nil {
		return t("pubservices.not_launched")
	}
	return t("pubservices.launched_at", ps.LaunchAt.In(VietnamTime).Format("02/01/2006")) + " " +
		t("pubservices.months_compared", ps.Before.Months, ps.After.Months)
}

// psSheet is the summary workbook's sheet of the comparison.
func psSheet(ps pubservices.Summary, t i18n.Translator) sheet.Table {
	tb := sheet.Table{Name: t("pubservices.sheet.compare"), Header: psHeader(t)}
	tb.Rows = append(tb.Rows, []any{psIntro(ps, t), "", "", ""})
	if ps.LaunchAt == nil {
		return tb
	}
	// Numbers stay numbers in the workbook: counts, and shares in percent with one decimal.
	b, a := ps.Before, ps.After
	num := func(p *float64) any {
		if p == nil {
			return ""
		}
		return math.Round(*p*10) / 10
	}
	tb.Rows = append(tb.Rows,
		[]any{t("reports.ps.months"), b.Months, a.Months, ""},
		[]any{t("pubservices.col.received"), b.Received, a.Received, ""},
		[]any{t("pubservices.col.online"), b.Online, a.Online, ""},
		[]any{t("pubservices.col.fully_online"), b.FullyOnline, a.FullyOnline, ""},
		[]any{t("pubservices.col.paid_online"), b.PaidOnline, a.PaidOnline, ""},
		[]any{t("pubservices.col.online_share"), num(b.OnlineShare), num(a.OnlineShare), num(ps.Change.OnlineShare)},
		[]any{t("pubservices.col.fully_online_share"), num(b.FullyOnlineShare), num(a.FullyOnlineShare), num(ps.Change.FullyOnlineShare)},
		[]any{t("pubservices.col.paid_online_share"), num(b.PaidOnlineShare), num(a.PaidOnlineShare), num(ps.Change.PaidOnlineShare)})
	return tb
}
