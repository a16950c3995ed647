package web_test

import "fmt"

// The statistics of a Ba Tơ unit are read by its administrators (province, Ba Tơ) and the national
// administrator; Sơn Tây's and Hà Nội's administrators and every other role are refused.
var psReaders = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "national_admin": ok})

// psImporters: the administrators of Ba Tơ import its figures; an administrator of another unit
// or province is answered with the line outside their scope (outOfScope); the national
// administrator changes nothing.
func psImporters(outOfScope outcome) map[string]outcome {
	return expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": outOfScope,
		"province_admin_hanoi": outOfScope})
}

// psFile is one line for a Ba Tơ commune in a month no earlier request used, so that each role's
// import is judged on its scope, not refused as a month already imported.
var psSeq int

func (e *env) psFile() string {
	psSeq++
	return "Mã đơn vị,Tháng,Tổng số hồ sơ tiếp nhận,Hồ sơ trực tuyến,Hồ sơ trực tuyến toàn trình,Hồ sơ thanh toán trực tuyến\n" +
		fmt.Sprintf("%s,%04d-%02d,100,40,20,10\n", e.baToCommune, 2000+psSeq/12, 1+psSeq%12)
}

func pubservicesMatrixCases() []matrixCase {
	return []matrixCase{
		{"GET /api/v1/public-services/stats", func(e *env, _ string) (string, string) { return "/api/v1/public-services/stats?unit=535", "" }, psReaders},
		{"POST /api/v1/public-services/stats/import", func(e *env, _ string) (string, string) {
			return "/api/v1/public-services/stats/import", e.psFile()
		}, psImporters(refused)},
	}
}
