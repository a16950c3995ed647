package portal

// The portal's export: the communication tracking, counts and items, in its reader's language.

import (
	"context"
	"io"

	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// MaxExportMedia bounds the items of one export.
const MaxExportMedia = 5000

// ExportMedia writes the media items f selects as a workbook of two sheets: the counts of each
// unit or organisation by channel, then the items themselves (up to MaxExportMedia).
func (s *Service) ExportMedia(ctx context.Context, f MediaFilter, t i18n.Translator, w io.Writer) error {
	counts, err := s.MediaCounts(ctx, f)
	if err != nil {
		return err
	}
	f.Limit = MaxExportMedia
	list, err := s.ListMedia(ctx, f)
	if err != nil {
		return err
	}
	ct := sheet.Table{Name: t("portal.comms.sheet_counts"), Header: []string{t("portal.comms.owner")}}
	for _, c := range MediaChannels {
		ct.Header = append(ct.Header, t("portal.channel."+string(c)))
	}
	ct.Header = append(ct.Header, t("portal.comms.total"))
	for _, c := range counts {
		row := []any{c.Name}
		for _, ch := range MediaChannels {
			row = append(row, c.ByChannel[ch])
		}
		ct.Rows = append(ct.Rows, append(row, c.Total))
	}
	it := sheet.Table{Name: t("portal.comms.sheet_items"), Header: []string{t("portal.comms.published_on"), t("portal.comms.owner"),
		t("portal.comms.channel"), t("portal.comms.item_title"), t("portal.comms.link")}}
	for _, m := range list {
		owner := m.UnitName
		if owner == "" {
			owner = m.OrgName
		}
		it.Rows = append(it.Rows, []any{m.PublishedOn, owner, t("portal.channel." + string(m.Channel)), m.Title, m.Link})
	}
	return sheet.WriteXLSX(w, ct, it)
}
