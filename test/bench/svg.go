package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// The convergence chart: objects converged against seconds since the first create, one line
// for the operator's run and one for the floor's, drawn by hand so that the benchmark needs no
// plotting library.
var chartTemplate = template.Must(template.New("chart").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" font-family="sans-serif" font-size="12">
<title>{{.Title}}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="{{.CenterX}}" y="20" text-anchor="middle" font-size="14">{{.Title}}</text>
{{range .XTicks}}<line x1="{{.Pos}}" y1="{{$.Top}}" x2="{{.Pos}}" y2="{{$.Bottom}}" stroke="#ddd"/>
<text x="{{.Pos}}" y="{{$.XLabelY}}" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .YTicks}}<line x1="{{$.Left}}" y1="{{.Pos}}" x2="{{$.Right}}" y2="{{.Pos}}" stroke="#ddd"/>
<text x="{{$.YLabelX}}" y="{{.Pos}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{end}}<line x1="{{.Left}}" y1="{{.Bottom}}" x2="{{.Right}}" y2="{{.Bottom}}" stroke="black"/>
<line x1="{{.Left}}" y1="{{.Top}}" x2="{{.Left}}" y2="{{.Bottom}}" stroke="black"/>
<text x="{{.CenterX}}" y="{{.AxisXY}}" text-anchor="middle">seconds since the first create</text>
<text x="16" y="{{.CenterY}}" text-anchor="middle" transform="rotate(-90 16 {{.CenterY}})">objects converged</text>
{{range .Lines}}<polyline fill="none" stroke="{{.Color}}" stroke-width="2" points="{{.Points}}"/>
{{end}}{{range $i, $l := .Lines}}<line x1="{{$.LegendX}}" y1="{{$l.LegendY}}" x2="{{$.LegendLineEnd}}" y2="{{$l.LegendY}}" stroke="{{$l.Color}}" stroke-width="2"/>
<text x="{{$.LegendTextX}}" y="{{$l.LegendY}}" dominant-baseline="middle">{{$l.Name}}</text>
{{end}}</svg>
`))

type chartTick struct {
	Pos   float64
	Label string
}

type chartLine struct {
	Name, Color, Points string
	LegendY             float64
}

type chart struct {
	Title                                      string
	Width, Height                              float64
	Left, Right, Top, Bottom                   float64
	CenterX, CenterY, XLabelY, YLabelX, AxisXY float64
	LegendX, LegendLineEnd, LegendTextX        float64
	XTicks, YTicks                             []chartTick
	Lines                                      []chartLine
}

type series struct {
	name, color string
	points      []curvePoint
}

// writeChart draws the series into path.
func writeChart(path, title string, objects int, all ...series) error {
	c := chart{Title: title, Width: 800, Height: 480, Left: 70, Right: 770, Top: 40, Bottom: 420}
	c.CenterX, c.CenterY = (c.Left+c.Right)/2, (c.Top+c.Bottom)/2
	c.XLabelY, c.YLabelX, c.AxisXY = c.Bottom+18, c.Left-8, c.Bottom+40
	// The legend goes bottom right, below the curves, which climb from bottom left to top right.
	c.LegendX, c.LegendLineEnd, c.LegendTextX = c.Right-250, c.Right-220, c.Right-212
	maxX := 0.0
	for _, s := range all {
		for _, p := range s.points {
			maxX = max(maxX, p.Seconds)
		}
	}
	xStep := niceStep(maxX, 8)
	maxX = math.Max(xStep, math.Ceil(maxX/xStep)*xStep)
	yStep := niceStep(float64(objects), 5)
	maxY := math.Max(yStep, math.Ceil(float64(objects)/yStep)*yStep)
	x := func(v float64) float64 { return c.Left + (c.Right-c.Left)*v/maxX }
	y := func(v float64) float64 { return c.Bottom - (c.Bottom-c.Top)*v/maxY }
	for v := 0.0; v <= maxX+xStep/2; v += xStep {
		c.XTicks = append(c.XTicks, chartTick{Pos: x(v), Label: trimFloat(v)})
	}
	for v := 0.0; v <= maxY+yStep/2; v += yStep {
		c.YTicks = append(c.YTicks, chartTick{Pos: y(v), Label: trimFloat(v)})
	}
	for i, s := range all {
		var b strings.Builder
		for _, p := range s.points {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(p.Seconds), y(float64(p.Converged)))
		}
		c.Lines = append(c.Lines, chartLine{Name: s.name, Color: s.color, Points: strings.TrimSpace(b.String()), LegendY: c.Bottom - 16 - float64(len(all)-1-i)*18})
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the chart: %w", err)
	}
	if err := chartTemplate.Execute(f, c); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing the chart: %w", err)
	}
	return f.Close()
}

// niceStep is a round step (1, 2 or 5 times a power of ten) that divides span into about n
// parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
