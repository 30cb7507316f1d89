package bench

import (
	"fmt"
	"sort"
	"strings"
)

// StormSVG draws cumulative joins and confirmed co-hosts over time for each
// run: one panel, two lines per run.
func StormSVG(rs []*JoinResult) string {
	const w, h, pad = 760.0, 380.0, 50.0
	maxT, maxN := 1.0, 1.0
	for _, r := range rs {
		for _, t := range append(append([]float64{}, r.JoinTimes...), r.ConfirmTimes...) {
			maxT = max(maxT, t)
		}
		maxN = max(maxN, float64(len(r.JoinTimes)))
	}
	x := func(t float64) float64 { return pad + t/maxT*(w-2*pad) }
	y := func(n float64) float64 { return h - pad - n/maxN*(h-2*pad) }
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/><line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n",
		pad, h-pad, w-pad, h-pad, pad, pad, pad, h-pad)
	for i := 0; i <= 4; i++ {
		t := maxT * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%.1fs</text>`+"\n", x(t), h-pad+18, t)
		n := maxN * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%.0f</text>`+"\n", pad-6, y(n)+4, n)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="20" text-anchor="middle">joins (dashed) and confirmed co-hosts (solid) over time</text>`+"\n", w/2)
	for i, r := range rs {
		c := colors[i%len(colors)]
		for k, series := range [][]float64{r.JoinTimes, r.ConfirmTimes} {
			ts := append([]float64{}, series...)
			sort.Float64s(ts)
			var pts []string
			for n, t := range ts {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(t), y(float64(n+1))))
			}
			dash := ""
			if k == 0 {
				dash = ` stroke-dasharray="4 3"`
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", c, dash, strings.Join(pts, " "))
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`+"\n", pad+10, pad+16*float64(i+1), c, r.Run.Name)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
