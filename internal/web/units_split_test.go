package web_test

import (
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/units"
)

// splitCommune returns the path of a commune of Mộ Đức split between Thị trấn Mộ Đức (21400) and
// Xã Đức Nhuận (21409) and not yet assigned: the first call reorganises the district (eleven
// communes split between the two, from 2024-01-01), each call hands out the next.
func (e *env) splitCommune() string {
	e.t.Helper()
	split := []string{"21403", "21406", "21412", "21415", "21418", "21421", "21424", "21427", "21430", "21433", "21436"}
	if e.splits == nil {
		var file strings.Builder
		lineage := "new_code,new_name,old_code,old_name,old_province_code\n"
		for _, line := range strings.Split(strings.TrimSpace(string(units.QuangNgai2023CSV())), "\n") {
			code, _, _ := strings.Cut(line, ",")
			if !slices.Contains(split, code) {
				file.WriteString(line + "\n")
			}
		}
		for _, code := range split {
			lineage += "21400,Thị trấn Mộ Đức," + code + ",x,51\n21409,Xã Đức Nhuận," + code + ",x,51\n"
		}
		res, err := e.units.SwitchMap(e.sys, strings.NewReader(file.String()), strings.NewReader(lineage), "2024-01-01")
		if err != nil || len(res.Splits) != len(split) {
			e.t.Fatalf("split Mộ Đức: %+v %v", res, err)
		}
		e.splits = res.Splits
	}
	if len(e.splits) == 0 {
		e.t.Fatal("no split commune left")
	}
	p := e.splits[0]
	e.splits = e.splits[1:]
	return p
}
