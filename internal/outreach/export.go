package outreach

// The outreach exports: a unit's progress (no personal data of citizens) and the guidance records
// in the viewer's scope, each a workbook in its reader's language.

import (
	"cmp"
	"context"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// WriteXLSX writes the progress of a unit: the unit and the units below, the members (x of
// target), and the citizens guided by skill, by platform and the visits.
func (p Progress) WriteXLSX(w io.Writer, t i18n.Translator) error {
	// A retired unit's row says its last day: as it was, a code can appear twice (21034, Xã Nghĩa
	// Dũng until 30/06/2025 and Xã An Phú since).
	unitsT := sheet.Table{Name: t("outreach.progress.children"), Header: []string{t("outreach.export.unit_code"), t("outreach.progress.unit"), t("outreach.progress.until_col"),
		t("outreach.progress.members"), t("outreach.progress.met"), t("outreach.progress.percent"), t("outreach.progress.records"), t("outreach.progress.citizens"),
		t("outreach.progress.flagged"), t("outreach.progress.enterprise_records"), t("outreach.progress.enterprises")}}
	for _, c := range append([]Tally{p.Tally}, p.Children...) {
		unitsT.Rows = append(unitsT.Rows, []any{c.Unit.Code, c.Unit.Name, c.Unit.Until(), c.Members, c.MembersMet, c.Percent(), c.Records, c.Citizens, c.Flagged,
			c.EnterpriseRecords, c.Enterprises})
	}
	membersT := sheet.Table{Name: t("outreach.progress.members"), Header: []string{t("outreach.team.username"), t("outreach.progress.member"), t("outreach.export.unit_code"),
		t("outreach.progress.citizens"), t("outreach.progress.records"), t("outreach.admin.target"), t("outreach.progress.met")}}
	for _, m := range p.AllMembers {
		met := ""
		if m.Met {
			met = "x"
		}
		membersT.Rows = append(membersT.Rows, []any{m.Username, m.Name, m.UnitCode, m.Citizens, m.Records, m.Target, met})
	}
	dims := sheet.Table{Name: t("outreach.progress.by_skill"), Header: []string{t("outreach.admin.kind"), t("outreach.admin.code"), t("outreach.export.name"), t("outreach.progress.count")}}
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
// the phones of the roles that may not see them and audits the reading. Skills and platforms are
// written by their catalogue names, as the member chose them on the form: the codes are the
// system's, not the reader's.
func (s *Service) ExportRecords(ctx context.Context, f RecordFilter, t i18n.Translator, w io.Writer) error {
	catalogue, _, err := s.catalog(ctx)
	if err != nil {
		return err
	}
	f.Limit, f.BeforeID = 500, 0
	table := sheet.Table{Name: t("outreach.progress.records"), Header: []string{t("outreach.export.record"), t("outreach.progress.member"), t("outreach.export.unit_code"),
		t("outreach.form.name"), t("outreach.form.birth_year"), t("outreach.form.phone"), t("outreach.form.skills"), t("outreach.form.platforms"),
		t("outreach.export.evidence"), t("outreach.export.guided_at"), t("outreach.progress.flagged"),
		// The enterprise columns come last, so that a sheet read by column position before
		// enterprises were recorded still reads the same.
		t("outreach.export.subject"), t("outreach.export.enterprise_name"), t("outreach.form.tax_code"), t("outreach.export.contact_name"), t("outreach.export.contact_phone")}}
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
			// An erased record keeps only what the counters need: its cells say so rather than
			// show a blank name beside a birth year of 0.
			name, birth := any(rec.Citizen.Name), any(rec.Citizen.BirthYear)
			var ent Enterprise
			subject := t("outreach.form.subject_citizen")
			if rec.Enterprise != nil {
				ent, subject = *rec.Enterprise, t("outreach.form.subject_enterprise")
			}
			switch {
			case rec.Enterprise != nil:
				// Nobody is named in the citizen's cells of an enterprise's record.
				name = ""
			case rec.Erased:
				name = t("outreach.export.erased")
			case rec.Citizen.Name == "" && rec.ConsentVersion == "":
				// Stored without consent: the name was never kept (docs/architecture.md).
				name = t("outreach.form.anonymous")
			}
			if rec.Citizen.BirthYear == 0 {
				birth = ""
			}
			table.Rows = append(table.Rows, []any{rec.ID, rec.MemberName, rec.UnitCode, name, birth, rec.Citizen.Phone,
				catalogueNames(catalogue, rec.Skills), catalogueNames(catalogue, rec.Platforms), rec.Evidence,
				rec.GuidedAt.In(vietnam).Format("02/01/2006 15:04"), flag, subject, ent.Name, ent.TaxCode, ent.ContactName, ent.ContactPhone})
		}
		if len(list) < f.Limit {
			break
		}
		f.BeforeID = list[len(list)-1].ID
	}
	return sheet.WriteXLSX(w, table)
}

// catalogueNames writes codes by their names in the catalogue and in its order (the form's),
// separated by semicolons since a name may hold a comma ("ứng dụng ngân hàng, ví điện tử"). A
// code no longer in the catalogue stays as it is, last, rather than vanish from the record.
func catalogueNames(catalogue map[string]Skill, codes []string) string {
	sorted := slices.Clone(codes)
	order := func(c string) int {
		if k, ok := catalogue[c]; ok {
			return k.Order
		}
		return math.MaxInt
	}
	slices.SortStableFunc(sorted, func(a, b string) int { return cmp.Compare(order(a), order(b)) })
	names := make([]string, len(sorted))
	for i, c := range sorted {
		names[i] = c
		if k, ok := catalogue[c]; ok && k.Name != "" {
			names[i] = k.Name
		}
	}
	return strings.Join(names, "; ")
}
