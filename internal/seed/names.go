package seed

import (
	"fmt"
	mrand "math/rand/v2"
)

// Vietnamese names as the province's registers show them: a family name (Nguyễn, Trần, Lê… and,
// in Quảng Ngãi's mountain districts, the Hrê and Cor families Đinh, Hồ, Phạm), a middle name that
// mostly marks sex (Văn, Thị) and a given name. The weights follow the usual survey shares roughly;
// they only have to look real in a list, not be a census.
var familyNames = []struct {
	name   string
	weight int
}{
	{"Nguyễn", 31}, {"Trần", 11}, {"Lê", 10}, {"Phạm", 7}, {"Huỳnh", 5}, {"Võ", 5}, {"Phan", 4},
	{"Đinh", 4}, {"Hồ", 3}, {"Trương", 3}, {"Đặng", 2}, {"Bùi", 2}, {"Đỗ", 2}, {"Ngô", 2},
	{"Dương", 1}, {"Lý", 1}, {"Hà", 1}, {"Đoàn", 1}, {"Tạ", 1}, {"Lương", 1},
}

var (
	maleMiddle   = []string{"Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Ngọc"}
	femaleMiddle = []string{"Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Thu", "Mỹ", "Bích", "Hồng"}
	maleGiven    = []string{"Hùng", "Dũng", "Minh", "Tuấn", "Nam", "Sơn", "Phúc", "Long", "Tâm", "Tài", "Bình", "Hải",
		"Quang", "Trung", "Khoa", "Lực", "Tới", "Đạt", "Hiếu", "Thành", "Vinh", "Khánh", "An", "Phong", "Toàn"}
	femaleGiven = []string{"Lan", "Hoa", "Mai", "Hà", "Hương", "Thảo", "Linh", "Trang", "Nhung", "Hằng", "Yến", "Vân",
		"Tuyết", "Phượng", "Nga", "Oanh", "Quyên", "Diệp", "Xuân", "Hạnh", "Thu", "My", "Ngân", "Như", "Loan"}
	familyTotal int
)

func init() {
	for _, f := range familyNames {
		familyTotal += f.weight
	}
}

// personName draws a full name.
func personName(r *mrand.Rand) string {
	n := r.IntN(familyTotal)
	family := familyNames[0].name
	for _, f := range familyNames {
		if n < f.weight {
			family = f.name
			break
		}
		n -= f.weight
	}
	if r.IntN(2) == 0 {
		return family + " " + maleMiddle[r.IntN(len(maleMiddle))] + " " + maleGiven[r.IntN(len(maleGiven))]
	}
	return family + " " + femaleMiddle[r.IntN(len(femaleMiddle))] + " " + femaleGiven[r.IntN(len(femaleGiven))]
}

// placeNames give synthetic communes and districts a plausible name; the number keeps them unique.
var placeNames = []string{"An", "Bình", "Hòa", "Phước", "Thạnh", "Tân", "Long", "Phú", "Hưng", "Thuận", "Sơn",
	"Đông", "Tây", "Nam", "Bắc", "Trung", "Mỹ", "Quang", "Tịnh", "Nghĩa", "Đức", "Hiệp", "Thành", "Lợi"}

func placeName(i int) string {
	a := placeNames[i%len(placeNames)]
	b := placeNames[(i/len(placeNames)+7)%len(placeNames)]
	return fmt.Sprintf("%s %s %d", a, b, i+1)
}
