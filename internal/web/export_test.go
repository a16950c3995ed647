package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestFormerExportURLsRedirect: every export's former URL answers a permanent redirect (308) to
// its …/export?format= URL, query kept, for anyone (the export checks access); followed with the
// province administrator's token, the redirect ends in the file.
func TestFormerExportURLsRedirect(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		period := e.baToPeriod().ID
		del := e.baToDelegate()
		code, _ := e.passed()
		job := e.waitPupils(e.startPupils(e.orgIDs["thpt-sontay"], e.tokens["province_admin"], "ho_ten,ngay_sinh,lop\nHồ Văn Đức,2005,12A1\n"), e.tokens["province_admin"])
		org := e.orgIDs["tinhdoan"]
		cases := []struct {
			old, want, contentType string
		}{
			{"/outreach/progress.xlsx?unit=535", "/outreach/progress/export?format=xlsx&unit=535", "spreadsheetml"},
			{"/outreach/records.xlsx?unit=535&campaign=", "/outreach/records/export?format=xlsx&unit=535&campaign=", "spreadsheetml"},
			{fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d/invitation.pdf", del.CeremonyID, del.ID),
				fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d/invitation/export?format=pdf", del.CeremonyID, del.ID), "application/pdf"},
			{fmt.Sprintf("/api/v1/ceremonies/%d/attendance.xlsx", del.CeremonyID), fmt.Sprintf("/api/v1/ceremonies/%d/attendance/export?format=xlsx", del.CeremonyID), "spreadsheetml"},
			{"/api/v1/certificates/" + code + "/pdf", "/api/v1/certificates/" + code + "/export?format=pdf", "application/pdf"},
			{"/api/v1/certificates?from=2020-01-01", "/api/v1/certificates/export?format=zip&from=2020-01-01", "application/zip"},
			{"/api/v1/pupil-imports/" + job.ID + "/credentials?k=" + job.Key + "&format=xlsx",
				"/api/v1/pupil-imports/" + job.ID + "/credentials/export?k=" + job.Key + "&format=xlsx", "spreadsheetml"},
			{"/communication/export.xlsx?channel=banner", "/communication/export?format=xlsx&channel=banner", "spreadsheetml"},
			{fmt.Sprintf("/reports/periods/%d/status.xlsx", period), fmt.Sprintf("/reports/periods/%d/status/export?format=xlsx", period), "spreadsheetml"},
			{fmt.Sprintf("/dashboard/orgs/%d?format=xlsx&table=children", org), fmt.Sprintf("/dashboard/orgs/%d/export?format=xlsx&table=children", org), "spreadsheetml"},
			// A format in the former URL's query takes the place of the one it implied.
			{"/outreach/progress.xlsx?format=pdf&unit=535", "/outreach/progress/export?format=pdf&unit=535", ""},
		}
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, c := range cases {
			req, _ := http.NewRequest("GET", e.srv.URL+c.old, nil)
			// Signed in, as the page's links are followed; the redirect itself asks no one.
			req.Header.Set("Authorization", "Bearer "+e.tokens["province_admin"])
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != c.want {
				t.Errorf("%s: %d to %q, want 308 to %q", c.old, resp.StatusCode, resp.Header.Get("Location"), c.want)
				continue
			}
			if c.contentType == "" {
				continue
			}
			resp, b := e.do("GET", c.old, e.tokens["province_admin"], "", "")
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), c.contentType) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
				t.Errorf("%s followed: %d %s %s %.200s", c.old, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), b)
			}
		}
		// Anonymous visitors are redirected too, and then asked to sign in by the export.
		resp, err := noFollow.Get(e.srv.URL + "/communication/export.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusPermanentRedirect {
			t.Errorf("anonymous former URL: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", "/communication/export.xlsx", "", "", ""); resp.StatusCode != http.StatusUnauthorized && resp.Request.URL.Path != "/login" {
			t.Errorf("anonymous former URL followed: %d %s", resp.StatusCode, resp.Request.URL)
		}
	})
}

// TestExportFormats: each export answers the formats it has, the first when none is named, and
// refuses another with 422 and a Vietnamese message that lists the ones there are.
func TestExportFormats(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		prov := e.tokens["province_admin"]
		period := e.baToPeriod().ID
		course := e.course(false).ID
		for _, c := range []struct {
			path    string
			formats string // as the message lists them
			ext     string // of the file served without a format
		}{
			{"/outreach/progress/export?unit=535", "xlsx", "xlsx"},
			{"/outreach/records/export?unit=535", "xlsx", "xlsx"},
			{"/communication/export", "xlsx", "xlsx"},
			{fmt.Sprintf("/reports/periods/%d/status/export", period), "xlsx", "xlsx"},
			{"/dashboard/units/535/export", "xlsx", "xlsx"},
			{fmt.Sprintf("/api/v1/courses/%d/questions/export", course), "csv, xlsx", "csv"},
			{fmt.Sprintf("/api/v1/courses/%d/figures/export", course), "xlsx", "xlsx"},
			{"/courses/questions-template", "csv, xlsx", "csv"},
			{"/pupils/template", "csv, xlsx", "csv"},
			{"/ceremonies/delegates-template", "xlsx, csv", "xlsx"},
		} {
			resp, _ := e.do("GET", c.path, prov, "", "")
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "."+c.ext+`"`) {
				t.Errorf("%s without a format: %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Disposition"))
			}
			sep := "?"
			if strings.Contains(c.path, "?") {
				sep = "&"
			}
			resp, b := e.do("GET", c.path+sep+"format=docx", prov, "", "")
			want := "Không hỗ trợ định dạng xuất “docx”. Định dạng xuất được: " + c.formats + "."
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), want) {
				t.Errorf("%s format=docx: %d %.300s, want 422 %q", c.path, resp.StatusCode, stripTags(string(b)), want)
			}
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/reports/periods/%d/summary/export?format=csv", period), prov, nil, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("summary format=csv: %d", code)
		}
	})
}
