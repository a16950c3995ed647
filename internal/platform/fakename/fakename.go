// Package fakename makes Vietnamese personal names for generated data (the data generators of
// the seed profiles, benchmarks and the demo). Names are a pure function of a 64-bit number, so a
// generator that derives the number from its seed and a person's index gets the same name for the
// same person on every run, and a random generator just passes a random number.
package fakename

// The name parts, roughly in the frequencies of the population (Nguyễn about 38 %; the Hrê and
// Cor families of Quảng Ngãi's mountain districts — Đinh, Hồ, Phạm — are among them). They only
// have to look real in a list, not be a census. The middle name mostly marks sex (Văn, Thị).
var (
	family = []struct {
		name   string
		weight int
	}{{"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95}, {"Phạm", 70}, {"Huỳnh", 50}, {"Võ", 45}, {"Phan", 45}, {"Hoàng", 30},
		{"Đặng", 21}, {"Bùi", 20}, {"Đỗ", 14}, {"Hồ", 13}, {"Ngô", 13}, {"Dương", 10}, {"Lý", 5}, {"Đinh", 8}, {"Trương", 8},
		{"Lương", 5}, {"Tô", 3}, {"Thái", 3}, {"Đoàn", 3}, {"Hà", 3}, {"Tạ", 2}}
	middleM = []string{"Văn", "Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân", "Ngọc", "Đình", "Tấn", "Trọng"}
	middleF = []string{"Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Bích", "Hồng", "Diệu", "Minh"}
	givenM  = []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Minh", "Nam", "Phong", "Phúc",
		"Quang", "Sơn", "Tài", "Thành", "Thắng", "Tiến", "Trung", "Tuấn", "Việt", "Vinh", "Bảo", "Hiếu", "Lộc", "Nghĩa", "Toàn", "Kiên"}
	givenF = []string{"Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai",
		"Nga", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Sương", "Tâm", "Thảo", "Thủy", "Trang", "Tuyết", "Vân", "Yến", "Hiền", "Lý"}
	familyTotal = func() uint64 {
		n := 0
		for _, f := range family {
			n += f.weight
		}
		return uint64(n) // #nosec G115 -- a sum of small positive weights
	}()
)

// Name returns the full name number h stands for, and what is left of h after the name took its
// parts (a generator can draw more attributes of the same person from it, e.g. a year of birth).
// Spread h well (a hash, not a counter): its low bits choose the sex and the family name.
func Name(h uint64) (name string, rest uint64) {
	female := h&1 == 1
	h >>= 1
	fw := int(h % familyTotal) // #nosec G115 -- reduced modulo a small table total
	h /= familyTotal
	fam := family[0].name
	for _, f := range family {
		if fw < f.weight {
			fam = f.name
			break
		}
		fw -= f.weight
	}
	middle, given := middleM, givenM
	if female {
		middle, given = middleF, givenF
	}
	m := middle[h%uint64(len(middle))]
	h /= uint64(len(middle))
	g := given[h%uint64(len(given))]
	h /= uint64(len(given))
	return fam + " " + m + " " + g, h
}
