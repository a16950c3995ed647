package web

import (
	"fmt"
	"math"
	"strings"

	"github.com/lantoa/lantoa/internal/reports"
)

// The dashboards' charts are drawn as SVG on the server: no charting script to vendor, nothing
// for the Content-Security-Policy to allow (colours come from classes in reports.css, never
// from style attributes), and a chart that prints and reads without JavaScript.

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
	Bars          []svgBar
	Width, Height float64
	LabelW, BarH  float64
	Max           string
}

func makeBarChart(title string, children []reports.Child, section, key string, href func(reports.Child) string) barChart {
	const width, labelW, barH, gap = 760.0, 220.0, 22.0, 8.0
	c := barChart{Title: title, Width: width, LabelW: labelW, BarH: barH}
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
}

type svgDot struct {
	X, Y  float64
	Label string
}

func makeLineChart(title string, s reports.Series) lineChart {
	const width, height, padL, padR, padT, padB = 760.0, 220.0, 60.0, 20.0, 10.0, 30.0
	c := lineChart{Title: title, Width: width, Height: height}
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
		c.Dots = append(c.Dots, svgDot{X: x, Y: y, Label: p.Day + ": " + reports.FormatNumber(p.Value)})
	}
	c.Points = strings.TrimSpace(b.String())
	c.First, c.Last = s.Points[0].Day, s.Points[n-1].Day
	c.Max, c.Min = reports.FormatNumber(hi), reports.FormatNumber(lo)
	return c
}
