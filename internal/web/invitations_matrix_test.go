package web_test

import (
	"fmt"
	"net/url"

	"github.com/lantoa/lantoa/internal/ceremony"
)

// Invitations that go out: the point's people import delegates (the province, Ba Tơ's
// administrators, the point's operator); its unit's administrators number and send the
// invitations; the province's administrators set the series; the RSVP link is public and an
// unknown one is not found for everyone.

var inviteSeq int

// delegateFile is a delegate list of one person no earlier request imported.
func delegateFile() string {
	inviteSeq++
	return fmt.Sprintf("Họ tên,Chức vụ,Đơn vị/Cơ quan,E-mail,Điện thoại,Kênh (email/sms/zalo)\nĐại biểu nhập %d,Phó Chủ tịch,UBND huyện Ba Tơ,nhap%d@quangngai.gov.vn,,email\n", inviteSeq, inviteSeq)
}

// sentDelegate is a Ba Tơ delegate whose invitation went out, for sending it again.
func (e *env) sentDelegate() ceremony.Delegate {
	e.t.Helper()
	c := e.ceremony()
	inviteSeq++
	d, err := e.web.Ceremony.AddDelegate(e.sys, c.id, c.baToPoint, ceremony.Delegate{FullName: fmt.Sprintf("Đại biểu mời %d", inviteSeq), Group: "district_leaders",
		Email: fmt.Sprintf("moi%d@quangngai.gov.vn", inviteSeq)})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.web.Ceremony.SendInvitations(e.sys, c.id, c.baToPoint, "http://lantoa.test"); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func invitationMatrixCases() []matrixCase {
	point := func(e *env, suffix string) string {
		c := e.ceremony()
		return fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/%d%s", c.id, c.baToPoint, suffix)
	}
	return []matrixCase{
		{"POST /api/v1/ceremonies/{id}/bridge-points/{pid}/delegates/import", func(e *env, _ string) (string, string) {
			return point(e, "/delegates/import"), delegateFile()
		}, baToPointPeople},
		{"POST /api/v1/ceremonies/{id}/bridge-points/{pid}/invitations/send", func(e *env, _ string) (string, string) {
			return point(e, "/invitations/send"), ""
		}, baToAdmins},
		{"POST /api/v1/ceremonies/{id}/delegates/{did}/invitation/send", func(e *env, _ string) (string, string) {
			d := e.sentDelegate()
			return fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d/invitation/send", d.CeremonyID, d.ID), ""
		}, baToAdmins},
		{"PUT /api/v1/ceremonies/{id}/invitation-series", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/ceremonies/%d/invitation-series", e.ceremony().id), `{"series":"GM-UBND"}`
		}, provinceOnly},
	}
}

func invitationPageCases() []pageCase {
	points := func(e *env, suffix string) string {
		c := e.ceremony()
		return fmt.Sprintf("/ceremonies/%d/points/%d%s", c.id, c.baToPoint, suffix)
	}
	return []pageCase{
		{"GET /ceremonies/{id}/points/{pid}/invitations", func(e *env, _ string) (string, url.Values) {
			return points(e, "/invitations"), nil
		}, pageOnly(baToPointReaders)},
		{"POST /ceremonies/{id}/points/{pid}/delegates/import", func(e *env, _ string) (string, url.Values) {
			return points(e, "/delegates/import"), form(fileField, delegateFile())
		}, pageOnly(baToPointPeople)},
		{"POST /ceremonies/{id}/points/{pid}/invitations/send", func(e *env, _ string) (string, url.Values) {
			return points(e, "/invitations/send"), form()
		}, pageOnly(baToAdmins)},
		{"POST /ceremonies/{id}/points/{pid}/invitations/series", func(e *env, _ string) (string, url.Values) {
			return points(e, "/invitations/series"), form("series", "GM-UBND")
		}, pageOnly(provinceOnly)},
		{"POST /ceremonies/{id}/delegates/{did}/resend", func(e *env, _ string) (string, url.Values) {
			d := e.sentDelegate()
			return fmt.Sprintf("/ceremonies/%d/delegates/%d/resend", d.CeremonyID, d.ID), form()
		}, pageOnly(baToAdmins)},
		{"GET /ceremonies/delegates-template", get("/ceremonies/delegates-template?format=xlsx"), pagePublic},
		// The RSVP link is the credential: no session is asked for, and a link no invitation
		// carries is not found for everyone.
		{"GET /rsvp/{token}", get("/rsvp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), pageNotFound},
		{"POST /rsvp/{token}", func(e *env, _ string) (string, url.Values) {
			return "/rsvp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", form("rsvp", "attend")
		}, pageNotFound},
		{"GET /rsvp/{token}/invitation", get("/rsvp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/invitation"), pageNotFound},
	}
}
