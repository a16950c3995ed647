// Lan Tỏa — the dashboards' charts. Chart.js (vendor/chart.umd.min.js) draws each
// <figure data-chart> from the JSON in its <script type="application/json" class="chart-data">
// block, since the Content-Security-Policy allows no inline script; sizes go through
// element.style, which the policy allows (it blocks style attributes in the markup only). The
// server's SVG drawing of the same chart stays until the canvas has drawn: without scripts, or
// when Chart.js fails, the reader still has a chart.
(function () {
  "use strict";
  var Chart = window.Chart;
  if (!Chart) {
    return;
  }

  // The same as reports.FormatNumber on the server: dots between thousands, a comma and two
  // decimals only when there is a fraction (1.234.567 and 12,50).
  function vnNumber(v) {
    var neg = v < 0;
    if (neg) {
      v = -v;
    }
    var whole = Math.floor(v);
    var cents = Math.round((v - whole) * 100);
    if (cents >= 100) {
      whole += 1;
      cents = 0;
    }
    var s = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    if (cents > 0) {
      s += "," + (cents < 10 ? "0" : "") + cents;
    }
    return (neg ? "-" : "") + s;
  }

  // Colours of reports.css and app.css, read from the page so that the two drawings match.
  var rootStyle = getComputedStyle(document.documentElement);
  function cssVar(name, fallback) {
    return rootStyle.getPropertyValue(name).trim() || fallback;
  }
  var INK = cssVar("--ink", "#1b1f24");
  var BRAND = cssVar("--brand", "#a51d24"); // the target tick, and the progress line
  var MET = cssVar("--ok", "#1d7a3a"); // a unit at 80 % of its target or more
  var GRID = cssVar("--line", "#d7dce3");
  var BAR = "#5b8fd1";
  var FONT = getComputedStyle(document.body).fontFamily;

  Chart.defaults.font.family = FONT;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = INK;
  Chart.defaults.animation = false; // drawn once, at once: for print, and for slow machines

  // Counts get whole-number steps (no "0,5 xã"); figures with fractions keep theirs.
  function wholeNumbers(values) {
    return values.every(function (v) { return v === null || Math.floor(v) === v; });
  }

  // Long names (teams) are cut on the axis; the tooltip has them whole.
  function shorten(s) {
    return s.length > 34 ? s.slice(0, 33) + "…" : s;
  }

  // barValues writes "value / target" after each bar, as the SVG does, so that the figures
  // read without hovering and on paper.
  var VALUE_FONT = "12px " + FONT;
  function valueText(d, i) {
    return vnNumber(d.values[i]) + (d.targets[i] !== null ? " / " + vnNumber(d.targets[i]) : "");
  }
  function barValues(d) {
    return {
      id: "lantoaBarValues",
      afterDatasetsDraw: function (chart) {
        var bars = chart.getDatasetMeta(0).data;
        var x = chart.scales.x;
        var ctx = chart.ctx;
        ctx.save();
        ctx.font = VALUE_FONT;
        ctx.fillStyle = INK;
        ctx.textBaseline = "middle";
        bars.forEach(function (bar, i) {
          var end = bar.x;
          if (d.targets[i] !== null) {
            end = Math.max(end, x.getPixelForValue(d.targets[i]) + 2);
          }
          ctx.fillText(valueText(d, i), end + 6, bar.y);
        });
        ctx.restore();
      }
    };
  }

  function barChart(canvas, box, d) {
    var n = d.labels.length;
    box.style.height = Math.max(120, n * 30 + 50) + "px";
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = VALUE_FONT;
    var widest = 0;
    for (var i = 0; i < n; i++) {
      widest = Math.max(widest, measure.measureText(valueText(d, i)).width);
    }
    var datasets = [{
      type: "bar",
      label: d.valueLabel,
      data: d.values,
      backgroundColor: d.met.map(function (m) { return m ? MET : BAR; }),
      barPercentage: 0.85,
      categoryPercentage: 0.9,
      order: 2
    }];
    if (d.targets.some(function (t) { return t !== null; })) {
      datasets.push({
        type: "line",
        label: d.targetLabel,
        data: d.targets,
        showLine: false,
        pointStyle: "line",
        pointRotation: 90,
        pointRadius: 12,
        pointHoverRadius: 12,
        pointBorderWidth: 3,
        pointHoverBorderWidth: 4,
        borderColor: BRAND,
        backgroundColor: BRAND,
        order: 1
      });
    }
    function hrefAt(evt, chart) {
      var els = chart.getElementsAtEventForMode(evt, "index", { axis: "y", intersect: false }, false);
      var i = els.length ? els[0].index : -1;
      // A click on a unit's name, left of the plot, drills down too.
      if (i < 0 && evt.x < chart.chartArea.left && evt.y >= chart.chartArea.top && evt.y <= chart.chartArea.bottom) {
        i = Math.round(chart.scales.y.getValueForPixel(evt.y));
      }
      return i >= 0 && i < n ? d.hrefs[i] : "";
    }
    return new Chart(canvas, {
      data: { labels: d.labels, datasets: datasets },
      plugins: [barValues(d)],
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        layout: { padding: { right: Math.ceil(widest) + 12 } },
        interaction: { mode: "index", axis: "y", intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + vnNumber(item.parsed.x);
              }
            }
          }
        },
        scales: {
          x: {
            beginAtZero: true,
            grid: { color: GRID },
            ticks: { precision: wholeNumbers(d.values.concat(d.targets)) ? 0 : undefined, callback: function (v) { return vnNumber(v); } }
          },
          y: {
            grid: { display: false },
            ticks: {
              autoSkip: false,
              callback: function (v) { return shorten(this.getLabelForValue(v)); }
            }
          }
        },
        onClick: function (evt, _els, c) {
          var href = hrefAt(evt, c);
          if (href) {
            window.location.assign(href);
          }
        },
        onHover: function (evt, _els, c) {
          c.canvas.style.cursor = hrefAt(evt, c) ? "pointer" : "default";
        }
      }
    });
  }

  function lineChart(canvas, d) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: d.days,
        datasets: [{
          label: d.title,
          data: d.values,
          borderColor: BRAND,
          backgroundColor: BRAND,
          borderWidth: 2.5,
          pointRadius: d.values.length > 60 ? 0 : 3,
          pointHoverRadius: 5,
          fill: false
        }]
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + vnNumber(item.parsed.y);
              }
            }
          }
        },
        scales: {
          x: {
            grid: { display: false },
            // dd/mm on the axis; the tooltip's title has the year.
            ticks: { maxRotation: 0, autoSkipPadding: 16, callback: function (v) { return this.getLabelForValue(v).slice(0, 5); } }
          },
          y: {
            beginAtZero: true,
            grid: { color: GRID },
            ticks: { precision: wholeNumbers(d.values) ? 0 : undefined, callback: function (v) { return vnNumber(v); } }
          }
        }
      }
    });
  }

  var charts = [];
  document.querySelectorAll("figure[data-chart]").forEach(function (fig) {
    var box = fig.querySelector(".chart-box");
    var canvas = box && box.querySelector("canvas");
    var block = fig.querySelector("script.chart-data");
    var fallback = fig.querySelector(".chart-fallback");
    if (!canvas || !block) {
      return;
    }
    box.hidden = false; // Chart.js sizes the canvas from its box: the box must be laid out first
    try {
      var d = JSON.parse(block.textContent);
      charts.push(fig.dataset.chart === "bar" ? barChart(canvas, box, d) : lineChart(canvas, d));
      if (fallback) {
        fallback.hidden = true;
      }
    } catch (e) {
      box.hidden = true; // the SVG stays
      if (window.console) {
        window.console.error("reports-charts:", e);
      }
    }
  });

  // Paper is narrower than the screen: redraw at the printed width, then back.
  function resizeAll() {
    charts.forEach(function (c) { c.resize(); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
