package seed

import (
	"fmt"
	mrand "math/rand/v2"

	"github.com/lantoa/lantoa/internal/platform/fakename"
)

// personName draws a full name.
func personName(r *mrand.Rand) string {
	name, _ := fakename.Name(r.Uint64())
	return name
}

// placeNames give synthetic communes and districts a plausible name; the number keeps them unique.
var placeNames = []string{"An", "Bình", "Hòa", "Phước", "Thạnh", "Tân", "Long", "Phú", "Hưng", "Thuận", "Sơn",
	"Đông", "Tây", "Nam", "Bắc", "Trung", "Mỹ", "Quang", "Tịnh", "Nghĩa", "Đức", "Hiệp", "Thành", "Lợi"}

func placeName(i int) string {
	a := placeNames[i%len(placeNames)]
	b := placeNames[(i/len(placeNames)+7)%len(placeNames)]
	return fmt.Sprintf("%s %s %d", a, b, i+1)
}
