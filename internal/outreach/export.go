package outreach

// The outreach exports: a unit's progress (no personal data of citizens) and the guidance records
// in the viewer's scope, each a workbook in its reader's language.

import (
	"context"
	"io"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// WriteXLSX writes the progress of a unit: the unit and the units below, the members (x of
// target), and the citizens guided by skill, by platform and the visits.
func (p Progress) WriteXLSX(w io.Writer, t i18n.Translator) error {
	// A retired unit's row says its last day: as it was, a code can appear twice (21034, Xã Nghĩa
	// Dũng until 30/06/2025 and Xã An Phú since).
	unitsT := sheet.Table{Name: t("outreach.progress.children"), Header: []string{t("outreach.admin.code"), t("outreach.progress.unit"), t("outreach.progress.until_col"),
		t("outreach.progress.members"), t("outreach.progress.met"), t("outreach.progress.percent"), t("outreach.progress.records"), t("outreach.progress.citizens"),
		t("outreach.progress.flagged")}}
	for _, c := range append([]Tally{p.Tally}, p.Children...) {
		unitsT.Rows = append(unitsT.Rows, []any{c.Unit.Code, c.Unit.Name, c.Unit.Until(), c.Members, c.MembersMet, c.Percent(), c.Records, c.Citizens, c.Flagged})
	}
	membersT := sheet.Table{Name: t("outreach.progress.members"), Header: []string{t("outreach.team.username"), t("outreach.progress.member"), t("outreach.admin.code"),
		t("outreach.progress.citizens"), t("outreach.progress.records"), t("outreach.admin.target"), t("outreach.progress.met")}}
	for _, m := range p.AllMembers {
		met := ""
		if m.Met {
			met = "x"
		}
		membersT.Rows = append(membersT.Rows, []any{m.Username, m.Name, m.UnitCode, m.Citizens, m.Records, m.Target, met})
	}
	dims := sheet.Table{Name: t("outreach.progress.by_skill"), Header: []string{t("outreach.admin.kind"), t("outreach.admin.code"), t("outreach.admin.name"), t("outreach.progress.count")}}
	for _, group := range []struct {
		kind string
		list []Count
	}{{t("outreach.admin.kind.skill"), p.BySkill}, {t("outreach.admin.kind.platform"), p.ByPlatform}, {t("outreach.progress.visits"), p.Visits}} {
		for _, c := range group.list {
			dims.Rows = append(dims.Rows, []any{group.kind, c.Code, c.Name, c.N})
		}
	}
	return sheet.WriteXLSX(w, unitsT, membersT, dims)
}

// ExportName is the download name of the progress export, without its extension.
func (p Progress) ExportName() string { return "tien-do-7-ngay-" + p.Unit.Code }

// MaxExportRecords bounds one export of records.
const MaxExportRecords = 100000

// ExportRecords writes the records f selects as a workbook, newest first, up to MaxExportRecords,
// read in pages of 500 (ListRecords' largest) through ListRecords, which decides the scope, masks
// the phones of the roles that may not see them and audits the reading.
func (s *Service) ExportRecords(ctx context.Context, f RecordFilter, t i18n.Translator, w io.Writer) error {
	f.Limit, f.BeforeID = 500, 0
	table := sheet.Table{Name: t("outreach.progress.records"), Header: []string{"ID", t("outreach.progress.member"), t("outreach.admin.code"), t("outreach.form.name"),
		t("outreach.form.birth_year"), t("outreach.form.phone"), t("outreach.form.skills"), t("outreach.form.platforms"), t("outreach.form.evidence"),
		t("outreach.admin.launch"), t("outreach.progress.flagged")}}
	for len(table.Rows) < MaxExportRecords {
		list, err := s.ListRecords(ctx, f)
		if err != nil {
			return err
		}
		for _, rec := range list {
			flag := ""
			if rec.Flagged {
				flag = "x"
			}
			table.Rows = append(table.Rows, []any{rec.ID, rec.MemberName, rec.UnitCode, rec.Citizen.Name, rec.Citizen.BirthYear, rec.Citizen.Phone,
				strings.Join(rec.Skills, ", "), strings.Join(rec.Platforms, ", "), rec.Evidence, rec.GuidedAt.In(vietnam).Format("02/01/2006 15:04"), flag})
		}
		if len(list) < f.Limit {
			break
		}
		f.BeforeID = list[len(list)-1].ID
	}
	return sheet.WriteXLSX(w, table)
}
