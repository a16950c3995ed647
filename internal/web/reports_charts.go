package web

import (
	"fmt"
	"math"
	"strings"

	"github.com/lantoa/lantoa/internal/reports"
)

// The dashboards' charts are drawn by Chart.js (static/vendor/chart.umd.min.js, started by
// static/reports-charts.js) from the JSON each chart carries in a <script type="application/json">
// block: the Content-Security-Policy allows no inline script, and a data block is not one. The
// same loop also lays out a server-drawn SVG of the chart, shown when scripts are off or Chart.js
// failed to load; reports-charts.js hides it once the canvas has drawn. Both come from one pass
// over the data so that they cannot disagree. SVG colours come from classes in reports.css,
// never from style attributes.

// barChartData is what reports-charts.js needs to draw a bar chart (JSON, keys short and stable).
type barChartData struct {
	Title       string    `json:"title"`
	ValueLabel  string    `json:"valueLabel"`
	TargetLabel string    `json:"targetLabel"`
	Labels      []string  `json:"labels"`
	Values      []float64 `json:"values"`
	// Targets holds null where a unit has no target, so that no tick is drawn at 0.
	Targets []*float64 `json:"targets"`
	// Met marks the units at 80 % of target or more, drawn in green as on the map's top buckets.
	Met []bool `json:"met"`
	// Hrefs is the drill-down of each bar; empty where there is none (teams, the public page).
	Hrefs []string `json:"hrefs"`
}

// lineChartData is one progress series for reports-charts.js.
type lineChartData struct {
	Title  string    `json:"title"`
	Days   []string  `json:"days"` // dd/mm/yyyy
	Values []float64 `json:"values"`
}

// svgBar is one bar of a horizontal bar chart.
type svgBar struct {
	Label, Value, Href string
	Y, W               float64
	X, LabelX, ValueX  float64
	TargetX            float64 // where the target tick is drawn, 0 when none
	Class              string
}

// barChart compares units on one figure: horizontal bars (long Vietnamese names read better
// beside the bar than under it), with the target drawn as a tick when there is one.
type barChart struct {
	Title         string
	Caption       string // under the chart: the title, and what the tick means when there is one
	Bars          []svgBar
	Width, Height float64
	LabelW, BarH  float64
	Max           string
	Data          barChartData
}

func makeBarChart(title, targetLabel string, children []reports.Child, section, key string, href func(reports.Child) string) barChart {
	const width, labelW, barH, gap = 760.0, 220.0, 22.0, 8.0
	c := barChart{Title: title, Width: width, LabelW: labelW, BarH: barH}
	c.Data = barChartData{Title: title, ValueLabel: title, TargetLabel: targetLabel,
		Labels: []string{}, Values: []float64{}, Targets: []*float64{}, Met: []bool{}, Hrefs: []string{}}
	maxV := 0.0
	vals := make([]float64, len(children))
	targets := make([]float64, len(children))
	for i, ch := range children {
		for _, f := range ch.Fields {
			if f.Section == section && f.Key == key {
				vals[i], targets[i] = f.Value, f.Target
			}
		}
		maxV = math.Max(maxV, math.Max(vals[i], targets[i]))
	}
	plotW := width - labelW - 80
	for i, ch := range children {
		b := svgBar{Label: ch.Name, Value: reports.FormatNumber(vals[i]), Y: float64(i) * (barH + gap), Class: "bar", X: labelW, LabelX: labelW - 6, W: 1}
		if maxV > 0 {
			b.W = math.Max(vals[i]/maxV*plotW, 1)
			if targets[i] > 0 {
				b.TargetX = labelW + targets[i]/maxV*plotW
				b.Value += " / " + reports.FormatNumber(targets[i])
			}
		}
		b.ValueX = labelW + b.W + 4
		if ch.Share >= 0.8 {
			b.Class = "bar met"
		}
		if href != nil {
			b.Href = href(ch)
		}
		c.Bars = append(c.Bars, b)
		var target *float64
		if targets[i] > 0 {
			target = &targets[i]
		}
		d := &c.Data
		d.Labels, d.Values, d.Targets = append(d.Labels, ch.Name), append(d.Values, vals[i]), append(d.Targets, target)
		d.Met, d.Hrefs = append(d.Met, ch.Share >= 0.8), append(d.Hrefs, b.Href)
	}
	c.Height = float64(len(children))*(barH+gap) + 4
	c.Max = reports.FormatNumber(maxV)
	return c
}

// lineChart is one cumulative series over the campaign's days.
type lineChart struct {
	Title         string
	Points        string // SVG polyline points
	Dots          []svgDot
	Width, Height float64
	First, Last   string // first and last day
	Max, Min      string
	Data          lineChartData
}

type svgDot struct {
	X, Y  float64
	Label string
}

func makeLineChart(title string, s reports.Series) lineChart {
	const width, height, padL, padR, padT, padB = 760.0, 220.0, 60.0, 20.0, 10.0, 30.0
	c := lineChart{Title: title, Width: width, Height: height, Data: lineChartData{Title: title, Days: []string{}, Values: []float64{}}}
	if len(s.Points) == 0 {
		return c
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range s.Points {
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	if hi == lo {
		hi = lo + 1
	}
	var b strings.Builder
	n := len(s.Points)
	for i, p := range s.Points {
		x := padL
		if n > 1 {
			x += float64(i) / float64(n-1) * (width - padL - padR)
		}
		y := padT + (1-(p.Value-lo)/(hi-lo))*(height-padT-padB)
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		c.Dots = append(c.Dots, svgDot{X: x, Y: y, Label: dayVN(p.Day) + ": " + reports.FormatNumber(p.Value)})
		c.Data.Days, c.Data.Values = append(c.Data.Days, dayVN(p.Day)), append(c.Data.Values, p.Value)
	}
	c.Points = strings.TrimSpace(b.String())
	c.First, c.Last = dayVN(s.Points[0].Day), dayVN(s.Points[n-1].Day)
	c.Max, c.Min = reports.FormatNumber(hi), reports.FormatNumber(lo)
	return c
}

// dayVN writes a series' YYYY-MM-DD day the Vietnamese way (dd/mm/yyyy); anything else is kept.
func dayVN(day string) string {
	if len(day) == 10 && day[4] == '-' && day[7] == '-' {
		return day[8:] + "/" + day[5:7] + "/" + day[:4]
	}
	return day
}
