package demo

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/training"
)

// DemoCourseTitle is the title of the demo course (demo data is loaded once per title).
const DemoCourseTitle = "Kỹ năng số cơ bản cho người dân"

// demoQuestions is the demo course's bank, in the import template: online public services,
// cashless payment and information security.
const demoQuestions = `category,type,question,A,B,C,D,correct
Dịch vụ công trực tuyến,single,Địa chỉ của Cổng Dịch vụ công quốc gia là gì?,dichvucong.gov.vn,dichvucong.com.vn,congdichvu.vn,dvc.gov.com,A
Dịch vụ công trực tuyến,single,Tài khoản nào dùng để đăng nhập Cổng Dịch vụ công quốc gia?,Tài khoản định danh điện tử VNeID,Tài khoản mạng xã hội,Tài khoản trò chơi,Địa chỉ thư điện tử bất kỳ,A
Dịch vụ công trực tuyến,multiple,Người dân có thể làm những việc nào trên Cổng Dịch vụ công?,Nộp hồ sơ thủ tục hành chính,Tra cứu tình trạng hồ sơ,Thanh toán lệ phí trực tuyến,Mua vé xem phim,"A,B,C"
Dịch vụ công trực tuyến,truefalse,Dịch vụ công trực tuyến toàn trình cho phép thực hiện toàn bộ thủ tục trên mạng.,Đúng,Sai,,,A
Thanh toán không dùng tiền mặt,single,Mã QR trên hóa đơn dùng để làm gì?,Quét để thanh toán nhanh,Trang trí hóa đơn,Xem quảng cáo,Không có tác dụng,A
Thanh toán không dùng tiền mặt,multiple,Những hình thức nào là thanh toán không dùng tiền mặt?,Chuyển khoản qua ứng dụng ngân hàng,Ví điện tử,Thẻ ngân hàng,Tiền giấy,"A,B,C"
Thanh toán không dùng tiền mặt,truefalse,Có thể nộp học phí và tiền điện qua ứng dụng ngân hàng.,Đúng,Sai,,,A
Thanh toán không dùng tiền mặt,single,Khi chuyển khoản cần kiểm tra điều gì trước khi xác nhận?,Tên và số tài khoản người nhận,Màu của ứng dụng,Giờ trong ngày,Dung lượng điện thoại,A
An toàn thông tin,truefalse,Nhân viên ngân hàng có thể hỏi mã OTP của bạn qua điện thoại.,Đúng,Sai,,,B
An toàn thông tin,single,Mật khẩu nào an toàn nhất?,Cụm từ dài kết hợp chữ và số,123456,Ngày sinh của bạn,Tên của bạn,A
An toàn thông tin,multiple,Dấu hiệu nào cho thấy một tin nhắn có thể là lừa đảo?,Yêu cầu bấm vào đường dẫn lạ,Thúc giục chuyển tiền gấp,Hứa trúng thưởng lớn,Đến từ số tổng đài chính thức đã biết,"A,B,C"
An toàn thông tin,single,Khi nghi ngờ bị lừa đảo qua mạng bạn nên làm gì?,Báo cơ quan công an và ngân hàng,Chuyển thêm tiền,Chia sẻ mật khẩu,Im lặng,A
`

// loadTraining adds the demo course (the demo province's, published, 12 questions, one module with
// two lessons) and a few enrolments and attempts by the demo learners. It does nothing when the course exists.
func loadTraining(ctx context.Context, s Services) error {
	if s.Training == nil {
		return nil
	}
	existing, err := s.Training.ListCourses(ctx, training.CourseFilter{Query: DemoCourseTitle, All: true})
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return nil
	}
	// The course is the demo province's, as its Department of Information and Communications
	// (so.tttt, the demo's province administrator) would create it.
	province := ""
	if admin, err := s.Accounts.FindByUsername(ctx, "so.tttt"); err == nil {
		province = training.DefaultProvince(&authz.Actor{Grants: admin.Grants})
	}
	c, err := s.Training.CreateCourse(ctx, training.Course{Province: province, Title: DemoCourseTitle, Audience: "citizens,youth,pupils",
		Summary: "Sử dụng dịch vụ công trực tuyến, thanh toán không dùng tiền mặt và giữ an toàn thông tin cá nhân.",
		Exam:    training.Exam{QuestionCount: 10, PassPercent: 70, TimeLimitMinutes: 20, MaxAttempts: 3, RetryDelayMinutes: 10, ReviewAllowed: true}})
	if err != nil {
		return err
	}
	m, err := s.Training.AddModule(ctx, c.ID, "Chương 1. Dịch vụ công và thanh toán số")
	if err != nil {
		return err
	}
	for _, l := range []training.Lesson{
		{Title: "Nộp hồ sơ trên Cổng Dịch vụ công", BodyHTML: "<p>Đăng nhập bằng tài khoản <strong>VNeID</strong>, chọn thủ tục, điền tờ khai và theo dõi hồ sơ.</p>"},
		{Title: "Thanh toán bằng mã QR", BodyHTML: "<p>Mở ứng dụng ngân hàng, chọn <em>Quét QR</em>, kiểm tra tên người nhận rồi xác nhận.</p><ul><li>Không chia sẻ mã OTP.</li></ul>"},
	} {
		if _, err := s.Training.AddLesson(ctx, m.ID, l); err != nil {
			return err
		}
	}
	if _, err := s.Training.ImportQuestions(ctx, c.ID, strings.NewReader(demoQuestions)); err != nil {
		return fmt.Errorf("demo questions: %w", err)
	}
	if _, err := s.Training.Publish(ctx, c.ID); err != nil {
		return err
	}
	// hocvien.bato takes the exam and answers everything correctly; hocvien.dan starts and
	// answers two questions.
	bank, err := s.Training.Questions(ctx, c.ID)
	if err != nil {
		return err
	}
	correct := map[int64][]int64{}
	for _, q := range bank {
		for _, o := range q.Options {
			if o.Correct {
				correct[q.ID] = append(correct[q.ID], o.ID)
			}
		}
	}
	for i, name := range []string{"hocvien.bato", "hocvien.dan"} {
		u, err := s.Accounts.FindByUsername(ctx, name)
		if err != nil {
			continue
		}
		lctx := authz.WithActor(context.WithoutCancel(ctx), &authz.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Grants: u.Grants})
		a, err := s.Training.StartAttempt(lctx, c.ID)
		if err != nil {
			return fmt.Errorf("demo attempt %s: %w", name, err)
		}
		for j, q := range a.Questions {
			if i == 1 && j >= 2 {
				break
			}
			if _, err := s.Training.SaveAnswer(lctx, a.ID, q.ID, correct[q.ID]); err != nil {
				return fmt.Errorf("demo answer: %w", err)
			}
		}
		if i == 0 {
			if _, err := s.Training.Submit(lctx, a.ID); err != nil {
				return fmt.Errorf("demo submit: %w", err)
			}
		}
	}
	return nil
}

// demoPopulation is roughly how many people (thousands) live in each district of the demo
// province on the map of 2023; the demo's headcounts are drawn from it.
var demoPopulation = map[string]int{
	"522": 265, "524": 185, "525": 72, "527": 98, "528": 172, "529": 76, "530": 21,
	"531": 18, "532": 92, "533": 132, "534": 151, "535": 56, "536": 22,
}

// demoOrgHeadcounts are the demo organisations' own headcounts: staff of the departments, teachers
// and pupils of the schools, students of the universities and colleges, youth union members of
// the province's union (those outside the two demo district unions) and of those two.
var demoOrgHeadcounts = []struct {
	org, group string
	count      int
}{
	{"Sở Thông tin và Truyền thông", "officials", 64},
	{"Văn phòng UBND tỉnh", "officials", 92},
	{"Sở Giáo dục và Đào tạo", "officials", 118},
	{"Sở Nội vụ", "officials", 71},
	{"Sở Y tế", "officials", 146},
	{"Trường THPT chuyên Lê Khiết", "teachers", 84},
	{"Trường THPT chuyên Lê Khiết", "pupils", 1015},
	{"Trường THPT Ba Tơ", "teachers", 67},
	{"Trường THPT Ba Tơ", "pupils", 1120},
	{"Trường THCS thị trấn Ba Tơ", "teachers", 38},
	{"Trường THCS thị trấn Ba Tơ", "pupils", 640},
	{"Trường Đại học Phạm Văn Đồng", "teachers", 290},
	{"Trường Đại học Phạm Văn Đồng", "students", 4600},
	{"Trường Đại học Tài chính - Kế toán", "students", 3100},
	{"Trường Cao đẳng Kỹ thuật Công nghiệp Quảng Ngãi", "students", 2450},
	{"Tỉnh đoàn Quảng Ngãi", "youth", 61800},
	{"Huyện đoàn Ba Tơ", "youth", 3350},
	{"Huyện đoàn Sơn Tây", "youth", 1260},
}

// loadHeadcounts gives the demo province the headcounts the plan's targets are measured against
// and its 80 % target (issue 19, targets as shares), as its Department of Information and
// Communications (so.tttt) would import them: per district its officials (about 0.3 % of the
// people), pupils (about a fifth) and youth union members (about 6 %), and the organisations'
// own. So the figures show "% hoàn thành" and the workspace the units below the target. It does
// nothing when the province has headcounts already.
func loadHeadcounts(ctx context.Context, s Services) error {
	if s.Training == nil {
		return nil
	}
	admin, err := as(ctx, s, "so.tttt")
	if err != nil {
		return err
	}
	province := training.DefaultProvince(authz.ActorFrom(admin))
	existing, err := s.Training.Headcounts(admin, province)
	if err != nil || len(existing) > 0 {
		return err
	}
	var b strings.Builder
	b.WriteString("code,group,count\n")
	codes := make([]string, 0, len(demoPopulation))
	for code := range demoPopulation {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if _, err := s.Units.Find(ctx, code); err != nil {
			continue // not a unit of this map
		}
		k := demoPopulation[code]
		fmt.Fprintf(&b, "%s,officials,%d\n%s,pupils,%d\n%s,youth,%d\n", code, 3*k+40, code, 205*k, code, 61*k)
	}
	for _, h := range demoOrgHeadcounts {
		list, err := s.Orgs.List(ctx, orgs.Filter{Query: h.org})
		if err != nil {
			return err
		}
		for _, o := range list {
			if o.Name == h.org {
				fmt.Fprintf(&b, "%s%d,%s,%d\n", training.OrgCodePrefix, o.ID, h.group, h.count)
			}
		}
	}
	if _, err := s.Training.ImportHeadcounts(admin, province, strings.NewReader(b.String())); err != nil {
		return fmt.Errorf("demo headcounts: %w", err)
	}
	return s.Training.SetTargetShare(admin, province, 0, 80)
}
