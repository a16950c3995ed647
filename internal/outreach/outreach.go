// Package outreach runs the community digital technology teams (Tổ Công nghệ số cộng đồng): teams
// at district, commune and village level, the "7 citizens in 7 days" campaigns, the guidance
// records members send from an offline phone form, household visits, progress counters and the
// handling of citizens' personal data that Decree 13/2023/NĐ-CP asks for.
//
// A guidance record carries an id made on the phone (client_id). The server stores it once however
// often the phone retries: the same id with the same content answers the stored record again, the
// same id with other content is a conflict. Progress is read from counter tables that the insert
// updates in the same transaction, so a province-wide progress page never scans the raw records.
package outreach

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
	"github.com/lantoa/lantoa/internal/platform/vnphone"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the outreach schema; it follows units and accounts.
var Migrations = db.MigrationSet{Module: "outreach", FS: migrations}

// SkillKind tells a skill taught from a platform installed or an account activated.
type SkillKind string

// The kinds of catalogue entries.
const (
	KindSkill    SkillKind = "skill"
	KindPlatform SkillKind = "platform"
)

// Audience tells who a catalogue entry is taught to: citizens (the plan's "7 citizens") or
// enterprises and household businesses (their e-invoices, online tax, digital signatures). A record
// names only entries of its own audience.
type Audience string

// The audiences of catalogue entries, which are also the subjects of records.
const (
	AudienceCitizen    Audience = "citizen"
	AudienceEnterprise Audience = "enterprise"
)

// Skill is one entry of the catalogue of skills and platforms. The catalogue is national (the plan's
// entries, which a national administrator keeps) with each province's own additions: a province's
// members record the national entries and their province's, and a province's administrators
// change their province's entries only.
type Skill struct {
	// Province is the code of the province whose addition the entry is; "" for a national entry.
	Province string    `json:"province_code"`
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Kind     SkillKind `json:"kind"`
	Audience Audience  `json:"audience"`
	Order    int       `json:"order"`
	Active   bool      `json:"active"`
}

var codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// Validate checks a catalogue entry.
func (s *Skill) Validate() error {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = strings.Join(strings.Fields(s.Name), " ")
	if !codeRe.MatchString(s.Code) {
		return apperr.InvalidField("code", "outreach.error.skill_code")
	}
	if s.Name == "" || utf8.RuneCountInString(s.Name) > 150 {
		return apperr.InvalidField("name", "outreach.error.skill_name")
	}
	if s.Kind != KindSkill && s.Kind != KindPlatform {
		return apperr.InvalidField("kind", "outreach.error.skill_kind")
	}
	// No audience keeps a stored entry's (SaveSkill), and makes a new one a citizens' entry.
	if s.Audience != "" && s.Audience != AudienceCitizen && s.Audience != AudienceEnterprise {
		return apperr.InvalidField("audience", "outreach.error.skill_audience_value")
	}
	return nil
}

// DefaultSkills is the catalogue seeded from the plan (section IV.6–7): the four skills every member
// teaches, then platforms commonly installed, which administrators may extend.
var DefaultSkills = []Skill{
	{Code: "dvc_tinh", Name: "Dịch vụ công trực tuyến trên Hệ thống thông tin giải quyết TTHC tỉnh", Kind: KindSkill, Order: 1, Active: true},
	{Code: "dvc_quocgia", Name: "Dịch vụ công trực tuyến trên Cổng Dịch vụ công quốc gia", Kind: KindSkill, Order: 2, Active: true},
	{Code: "thanh_toan_truc_tuyen", Name: "Thanh toán trực tuyến phí, lệ phí trên hệ thống của tỉnh", Kind: KindSkill, Order: 3, Active: true},
	{Code: "khong_tien_mat", Name: "Thanh toán không dùng tiền mặt (ứng dụng ngân hàng, ví điện tử)", Kind: KindSkill, Order: 4, Active: true},
	{Code: "vneid", Name: "Ứng dụng định danh điện tử VNeID (kích hoạt tài khoản mức 2)", Kind: KindPlatform, Order: 10, Active: true},
	{Code: "so_suc_khoe", Name: "Sổ sức khỏe điện tử", Kind: KindPlatform, Order: 11, Active: true},
	{Code: "thuong_mai_dien_tu", Name: "Sàn thương mại điện tử", Kind: KindPlatform, Order: 12, Active: true},
	{Code: "vi_dien_tu", Name: "Ví điện tử, ứng dụng ngân hàng số", Kind: KindPlatform, Order: 13, Active: true},
	// Enterprises and household businesses (plan I.1, II.5b): what the tax office and the
	// business registry ask of them online.
	{Code: "hoa_don_dien_tu", Name: "Hóa đơn điện tử", Kind: KindSkill, Audience: AudienceEnterprise, Order: 20, Active: true},
	{Code: "thue_dien_tu", Name: "Khai, nộp thuế điện tử (eTax, eTax Mobile)", Kind: KindSkill, Audience: AudienceEnterprise, Order: 21, Active: true},
	{Code: "dvc_doanh_nghiep", Name: "Dịch vụ công trực tuyến cho doanh nghiệp (đăng ký kinh doanh, BHXH điện tử)", Kind: KindSkill, Audience: AudienceEnterprise, Order: 22, Active: true},
	{Code: "chu_ky_so", Name: "Chữ ký số (chữ ký số công cộng, ký số từ xa)", Kind: KindPlatform, Audience: AudienceEnterprise, Order: 23, Active: true},
	{Code: "ban_hang_truc_tuyen", Name: "Bán hàng trên sàn thương mại điện tử, thanh toán không dùng tiền mặt", Kind: KindPlatform, Audience: AudienceEnterprise, Order: 24, Active: true},
}

// audienceOf is an entry's audience, citizens for the entries saved before there were two.
func (k Skill) audienceOf() Audience {
	if k.Audience == "" {
		return AudienceCitizen
	}
	return k.Audience
}

// Campaign is one "7 citizens in 7 days" drive: from the launch, for Days days, each member guides
// at least Target citizens. A campaign that follows the ceremony gets its launch from the
// ceremony's launch moment; otherwise an administrator sets it.
type Campaign struct {
	ID int64 `json:"id"`
	// Province is the GSO code of the province whose campaign it is: it follows that province's
	// ceremony, and its records come from that province's teams.
	Province       string    `json:"province_code"`
	Name           string    `json:"name"`
	LaunchAt       time.Time `json:"launch_at,omitzero"`
	Days           int       `json:"days"`
	Target         int       `json:"target"`
	FollowCeremony bool      `json:"follow_ceremony"`
	ConsentVersion string    `json:"consent_version"`
	ConsentText    string    `json:"consent_text"`
	// RetentionDays is how long after the window closes the citizens' identifying fields are kept.
	RetentionDays int       `json:"retention_days"`
	RetainedAt    time.Time `json:"retained_at,omitzero"`
}

// End is when the window closes (zero while the campaign has no launch).
func (c Campaign) End() time.Time {
	if c.LaunchAt.IsZero() {
		return time.Time{}
	}
	return c.LaunchAt.Add(time.Duration(c.Days) * 24 * time.Hour)
}

// Contains tells whether t falls in the campaign's window.
func (c Campaign) Contains(t time.Time) bool {
	return !c.LaunchAt.IsZero() && !t.Before(c.LaunchAt) && t.Before(c.End())
}

// DefaultConsentText is the consent a member reads to the citizen before recording them.
const DefaultConsentText = "Tôi đồng ý để Tổ Công nghệ số cộng đồng ghi lại họ tên, năm sinh, số điện thoại và nội dung được hướng dẫn " +
	"nhằm theo dõi kết quả Phong trào chuyển đổi số, theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân. " +
	"Tôi có thể yêu cầu xem, trích xuất hoặc xóa dữ liệu của mình bất cứ lúc nào."

// Validate checks a campaign and fills defaults.
func (c *Campaign) Validate() error {
	c.Name = strings.Join(strings.Fields(c.Name), " ")
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 200 {
		return apperr.InvalidField("name", "outreach.error.campaign_name")
	}
	if c.Days == 0 {
		c.Days = 7
	}
	if c.Target == 0 {
		c.Target = 7
	}
	if c.Days < 1 || c.Days > 366 {
		return apperr.InvalidField("days", "outreach.error.campaign_days")
	}
	if c.Target < 1 || c.Target > 1000 {
		return apperr.InvalidField("target", "outreach.error.campaign_target")
	}
	if c.ConsentText == "" {
		c.ConsentText = DefaultConsentText
	}
	if c.ConsentVersion == "" {
		c.ConsentVersion = "v1"
	}
	if len(c.ConsentVersion) > 40 || utf8.RuneCountInString(c.ConsentText) > 4000 {
		return apperr.InvalidField("consent_text", "outreach.error.consent_long")
	}
	if c.RetentionDays == 0 {
		c.RetentionDays = 365
	}
	if c.RetentionDays < 1 || c.RetentionDays > 3650 {
		return apperr.InvalidField("retention_days", "outreach.error.retention_days")
	}
	return nil
}

// Outcome is the result of one household visit.
type Outcome string

// The outcomes of a visit.
const (
	Visited    Outcome = "visited"
	NobodyHome Outcome = "nobody_home"
	Declined   Outcome = "declined"
	Helped     Outcome = "helped"
)

// Outcomes lists the visit outcomes in display order.
var Outcomes = []Outcome{Visited, NobodyHome, Declined, Helped}

// Valid tells whether o is a known outcome.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// Citizen is the person guided, as the phone sends them.
type Citizen struct {
	Name      string `json:"name"`
	BirthYear int    `json:"birth_year"`
	Phone     string `json:"phone"`
}

// Enterprise is the enterprise or household business guided, as the phone sends it. Its name and
// tax code are not a natural person's data and are kept; its contact person's name and phone are,
// and are kept only with consent, like a citizen's (see anonymize).
type Enterprise struct {
	Name         string `json:"name"`
	TaxCode      string `json:"tax_code"`
	ContactName  string `json:"contact_name,omitempty"`
	ContactPhone string `json:"contact_phone,omitempty"`
}

// taxCodeRe is a Vietnamese tax code (mã số thuế): 10 digits, or 10 digits, a hyphen and 3 digits
// for a branch or dependent unit.
var taxCodeRe = regexp.MustCompile(`^[0-9]{10}(-[0-9]{3})?$`)

// NormalizeTaxCode trims a tax code, drops inner spaces and dots that people type, and checks it.
func NormalizeTaxCode(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", ".", "", "\u2010", "-", "\u2013", "-").Replace(strings.TrimSpace(s))
	return s, taxCodeRe.MatchString(s)
}

// Location is where the guidance took place, when the phone knows it.
type Location struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Consent is the citizen's agreement, with the version of the text they were shown.
type Consent struct {
	Given   bool   `json:"given"`
	Version string `json:"version"`
}

// RecordInput is one guidance record as the phone sends it.
type RecordInput struct {
	ClientID   string  `json:"client_id"`
	CampaignID int64   `json:"campaign_id,omitempty"`
	Citizen    Citizen `json:"citizen"`
	// Enterprise, when set, makes the record one about an enterprise: Citizen stays empty.
	Enterprise  *Enterprise `json:"enterprise,omitempty"`
	Skills      []string    `json:"skills"`
	Platforms   []string    `json:"platforms,omitempty"`
	GuidedAt    time.Time   `json:"guided_at"`
	VillageCode string      `json:"village_code,omitempty"`
	Evidence    string      `json:"evidence,omitempty"`
	Location    *Location   `json:"location,omitempty"`
	Consent     *Consent    `json:"consent,omitempty"`
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// The bounds of a record's free-text fields.
const (
	MaxNameLen           = 120
	MaxEnterpriseNameLen = 200
	MaxEvidenceLen       = 200
	MaxCodes             = 20
)

// Normalize trims and canonicalises the input in place and checks what can be checked without the
// database. now bounds the date (no future records) and the year of birth.
func (in *RecordInput) Normalize(now time.Time) error {
	in.ClientID = strings.ToLower(strings.TrimSpace(in.ClientID))
	if !uuidRe.MatchString(in.ClientID) {
		return apperr.InvalidField("client_id", "outreach.error.client_id")
	}
	if c := in.Consent; c != nil {
		c.Version = strings.TrimSpace(c.Version)
		if c.Given && (c.Version == "" || len(c.Version) > 40) {
			return apperr.InvalidField("consent", "outreach.error.consent_version")
		}
	}
	consented := in.consentVersion() != ""
	if in.Enterprise != nil {
		if err := in.normalizeEnterprise(); err != nil {
			return err
		}
	} else if err := in.normalizeCitizen(consented, now); err != nil {
		return err
	}
	return in.normalizeRest(now)
}

// normalizeEnterprise checks an enterprise record: never a citizen beside it, a name, a tax code of
// the right shape, and a contact that is checked like a citizen's.
func (in *RecordInput) normalizeEnterprise() error {
	if in.Citizen != (Citizen{}) {
		return apperr.InvalidField("citizen", "outreach.error.citizen_and_enterprise")
	}
	// The input is a value but the enterprise a pointer: it is copied before it is changed, so
	// that the caller's input is left as sent.
	e := new(Enterprise)
	*e = *in.Enterprise
	in.Enterprise = e
	e.Name = strings.Join(strings.Fields(e.Name), " ")
	if e.Name == "" {
		return apperr.InvalidField("enterprise.name", "outreach.error.enterprise_name")
	}
	if !utf8.ValidString(e.Name) || utf8.RuneCountInString(e.Name) > MaxEnterpriseNameLen {
		return apperr.InvalidField("enterprise.name", "outreach.error.enterprise_name_long", MaxEnterpriseNameLen)
	}
	code, ok := NormalizeTaxCode(e.TaxCode)
	if !ok {
		return apperr.InvalidField("enterprise.tax_code", "outreach.error.tax_code")
	}
	e.TaxCode = code
	e.ContactName = strings.Join(strings.Fields(e.ContactName), " ")
	if !utf8.ValidString(e.ContactName) || utf8.RuneCountInString(e.ContactName) > MaxNameLen {
		return apperr.InvalidField("enterprise.contact_name", "outreach.error.citizen_name_long", MaxNameLen)
	}
	if e.ContactPhone != "" {
		p, ok := NormalizePhone(e.ContactPhone)
		if !ok {
			return apperr.InvalidField("enterprise.contact_phone", "outreach.error.phone")
		}
		e.ContactPhone = p
	}
	return nil
}

func (in *RecordInput) normalizeCitizen(consented bool, now time.Time) error {
	in.Citizen.Name = strings.Join(strings.Fields(in.Citizen.Name), " ")
	// Without consent the citizen is not named (see Anonymize), so the name is required only with it;
	// what is sent is still checked, so that a client's bug shows as a 422 rather than vanishing.
	if in.Citizen.Name == "" && consented {
		return apperr.InvalidField("citizen.name", "outreach.error.citizen_name")
	}
	if !utf8.ValidString(in.Citizen.Name) || utf8.RuneCountInString(in.Citizen.Name) > MaxNameLen {
		return apperr.InvalidField("citizen.name", "outreach.error.citizen_name_long", MaxNameLen)
	}
	if (consented || in.Citizen.BirthYear != 0) && (in.Citizen.BirthYear < 1900 || in.Citizen.BirthYear > now.Year()) {
		return apperr.InvalidField("citizen.birth_year", "outreach.error.birth_year", now.Year())
	}
	if in.Citizen.Phone != "" {
		p, ok := NormalizePhone(in.Citizen.Phone)
		if !ok {
			return apperr.InvalidField("citizen.phone", "outreach.error.phone")
		}
		in.Citizen.Phone = p
	}
	return nil
}

func (in *RecordInput) normalizeRest(now time.Time) error {
	var err error
	if in.Skills, err = normalizeCodes("skills", in.Skills); err != nil {
		return err
	}
	if len(in.Skills) == 0 {
		return apperr.InvalidField("skills", "outreach.error.skills_required")
	}
	if in.Platforms, err = normalizeCodes("platforms", in.Platforms); err != nil {
		return err
	}
	if in.GuidedAt.IsZero() {
		return apperr.InvalidField("guided_at", "outreach.error.guided_at")
	}
	// A phone's clock may run a little fast; more than two minutes ahead is a future date.
	if in.GuidedAt.After(now.Add(2 * time.Minute)) {
		return apperr.InvalidField("guided_at", "outreach.error.future")
	}
	in.GuidedAt = in.GuidedAt.UTC().Truncate(time.Millisecond)
	in.VillageCode = strings.TrimSpace(in.VillageCode)
	if len(in.VillageCode) > 40 {
		return apperr.InvalidField("village_code", "outreach.error.village")
	}
	in.Evidence = strings.Join(strings.Fields(in.Evidence), " ")
	if !utf8.ValidString(in.Evidence) || utf8.RuneCountInString(in.Evidence) > MaxEvidenceLen {
		return apperr.InvalidField("evidence", "outreach.error.evidence_long", MaxEvidenceLen)
	}
	if l := in.Location; l != nil && (l.Lat < -90 || l.Lat > 90 || l.Lng < -180 || l.Lng > 180 || (l.Lat == 0 && l.Lng == 0)) {
		return apperr.InvalidField("location", "outreach.error.location")
	}
	in.anonymize()
	return nil
}

// anonymize drops who the citizen is when they gave no consent (Decree 13/2023/NĐ-CP: no legal
// basis to keep it). The guidance itself happened and still counts: the record keeps its skills,
// date, place and evidence, and is counted as one citizen of its own (docs/architecture.md,
// "Consent where data enters").
//
// An enterprise is not a natural person: its name and tax code stay whatever the consent. Its
// contact person is one, so their name and phone are dropped the same way without consent.
func (in *RecordInput) anonymize() {
	if in.consentVersion() != "" {
		return
	}
	in.Citizen = Citizen{}
	if in.Enterprise != nil {
		in.Enterprise.ContactName, in.Enterprise.ContactPhone = "", ""
	}
	in.Consent = nil
}

// Subject is who the record is about: a citizen, or an enterprise.
func (in *RecordInput) Subject() Audience {
	if in.Enterprise != nil {
		return AudienceEnterprise
	}
	return AudienceCitizen
}

func normalizeCodes(field string, codes []string) ([]string, error) {
	if len(codes) > MaxCodes {
		return nil, apperr.InvalidField(field, "outreach.error.too_many_codes", MaxCodes)
	}
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if !codeRe.MatchString(c) {
			return nil, apperr.InvalidField(field, "outreach.error.unknown_skill", truncate(c, 40))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// locationText is how a location is stored and hashed.
func (in *RecordInput) locationText() string {
	if in.Location == nil {
		return ""
	}
	return strconv.FormatFloat(in.Location.Lat, 'f', 6, 64) + "," + strconv.FormatFloat(in.Location.Lng, 'f', 6, 64)
}

func (in *RecordInput) consentVersion() string {
	if in.Consent == nil || !in.Consent.Given {
		return ""
	}
	return in.Consent.Version
}

// citizenKey is who the record counts as. A citizen recorded without consent cannot be told from
// another, so each such record counts as one citizen of its own: the guidance counts towards the
// member's target, and only named citizens are recognised when guided twice.
//
// An enterprise record's key is a digest of the tax code: never a citizen's key (other prefix), so
// a citizen's access or erasure request never finds it.
func (in *RecordInput) citizenKey(unitCode string) string {
	if in.Enterprise != nil {
		sum := sha256.Sum256([]byte("e:" + in.Enterprise.TaxCode))
		return hex.EncodeToString(sum[:16])
	}
	if in.consentVersion() == "" {
		sum := sha256.Sum256([]byte("a:" + in.ClientID))
		return hex.EncodeToString(sum[:16])
	}
	return CitizenKey(in.Citizen.Name, in.Citizen.BirthYear, in.Citizen.Phone, unitCode)
}

// Hash is a digest of the normalised content: two sends of the same record hash alike whatever
// the order of the skills, the spelling of the phone number or the time zone of the date.
func (in *RecordInput) Hash() string {
	canon := struct {
		C int64       `json:"c"`
		N string      `json:"n"`
		Y int         `json:"y"`
		P string      `json:"p"`
		S []string    `json:"s"`
		L []string    `json:"l"`
		T int64       `json:"t"`
		V string      `json:"v"`
		E string      `json:"e"`
		G string      `json:"g"`
		K string      `json:"k"`
		B *Enterprise `json:"b,omitempty"`
	}{in.CampaignID, in.Citizen.Name, in.Citizen.BirthYear, in.Citizen.Phone, in.Skills, in.Platforms, in.GuidedAt.UnixMilli(),
		in.VillageCode, in.Evidence, in.locationText(), in.consentVersion(), in.Enterprise}
	b, _ := json.Marshal(canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// NormalizePhone turns a Vietnamese mobile number into its 10-digit national form (vnphone).
func NormalizePhone(s string) (string, bool) { return vnphone.Normalize(s) }

// MaskPhone hides the middle of a phone number for lists and exports: 0905123123 → 0905***123.
func MaskPhone(p string) string { return vnphone.Mask(p) }

// CitizenKey identifies a citizen across records without storing a readable identifier twice: a
// digest of the normalised phone, or of the folded name, year of birth and village when there is
// no phone. Two members who guide the same person produce the same key.
func CitizenKey(name string, birthYear int, phone, unitCode string) string {
	basis := "p:" + phone
	if phone == "" {
		basis = "n:" + textfold.Fold(name) + "|" + strconv.Itoa(birthYear) + "|" + unitCode
	}
	sum := sha256.Sum256([]byte(basis))
	return hex.EncodeToString(sum[:16])
}
