// Leadership dashboard charts (reports/templates/reports/dashboard.html), drawn with the
// vendored Apache ECharts. Each chart reads its numbers from a json_script block whose labels
// the server has already translated; the same numbers are in a <details> table under each
// chart. No inline script or style: the CSP forbids them (ECharts sizes its canvas via CSSOM).
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") {
    return;
  }
  var echarts = window.echarts;
  var RED = "#b71c1c";
  var STATUS_COLORS = {
    draft: "#bdbdbd",
    submitted: "#1e88e5",
    returned: "#fb8c00",
    approved: "#00897b",
    published: "#5e35b1",
    fulfilled: "#43a047",
    evaluated: "#1b5e20",
    withdrawn: "#757575",
  };
  // Owner (2 bars), kind (3), term (3): one colour per group.
  var RATE_COLORS = [RED, RED, "#1e88e5", "#1e88e5", "#1e88e5", "#00897b", "#00897b", "#00897b"];
  var PHASE_COLORS = { past: "#e57373", current: RED, upcoming: "#cfd8dc" };

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function narrow() {
    return window.innerWidth < 576;
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value + "%";
  }

  function localDate(iso) {
    var parts = iso.split("-");
    return new Date(+parts[0], +parts[1] - 1, +parts[2]).getTime();
  }

  var DAY = 24 * 3600 * 1000;

  var builders = {
    status: function (d) {
      return {
        grid: { left: 4, right: 36, top: 4, bottom: 4, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", minInterval: 1, splitNumber: narrow() ? 3 : 5 },
        yAxis: { type: "category", data: d.labels, inverse: true, axisTick: { show: false } },
        series: [
          {
            type: "bar",
            name: d.seriesName,
            barMaxWidth: 22,
            label: { show: true, position: "right" },
            data: d.values.map(function (value, i) {
              return { value: value, itemStyle: { color: STATUS_COLORS[d.keys[i]] || RED } };
            }),
          },
        ],
      };
    },

    rates: function (d) {
      return {
        grid: { left: 4, right: 48, top: 4, bottom: 4, containLabel: true },
        tooltip: {
          trigger: "axis",
          axisPointer: { type: "shadow" },
          formatter: function (items) {
            var i = items[0].dataIndex;
            return (
              d.labels[i] + "<br>" + percent(d.values[i]) + " (" + d.fulfilled[i] + " / " + d.totals[i] + ")"
            );
          },
        },
        xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitNumber: 4 },
        yAxis: { type: "category", data: d.labels, inverse: true, axisTick: { show: false } },
        series: [
          {
            type: "bar",
            name: d.seriesName,
            barMaxWidth: 20,
            label: {
              show: true,
              position: "right",
              formatter: function (p) {
                return percent(d.values[p.dataIndex]);
              },
            },
            data: d.values.map(function (value, i) {
              return { value: value === null ? 0 : value, itemStyle: { color: RATE_COLORS[i] || RED } };
            }),
          },
        ],
      };
    },

    trend: function (d) {
      return {
        grid: { left: 4, right: 4, top: 16, bottom: 36, containLabel: true },
        legend: { bottom: 0, itemWidth: 14, itemHeight: 10, textStyle: { fontSize: narrow() ? 11 : 12 } },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.labels, axisLabel: { hideOverlap: true } },
        yAxis: [
          { type: "value", minInterval: 1, splitNumber: 4 },
          {
            type: "value",
            min: 0,
            max: 100,
            interval: 25,
            axisLabel: { formatter: "{value}%" },
            splitLine: { show: false },
          },
        ],
        series: [
          { type: "bar", name: d.barName, data: d.fulfilled, itemStyle: { color: "#43a047" }, barMaxWidth: 28 },
          {
            type: "line",
            name: d.lineName,
            yAxisIndex: 1,
            data: d.rate,
            itemStyle: { color: RED },
            symbolSize: 6,
            tooltip: { valueFormatter: percent },
          },
        ],
      };
    },

    timeline: function (d) {
      if (!d.phases.length) {
        return null;
      }
      var today = localDate(d.today);
      var names = d.phases.map(function (p) {
        return p.name;
      });
      var data = d.phases.map(function (p, i) {
        return {
          value: [i, localDate(p.start), localDate(p.end) + DAY - 1, p.start, p.end],
          itemStyle: { color: PHASE_COLORS[p.state] || RED },
        };
      });
      var first = Math.min(today, data[0].value[1]);
      var last = Math.max(today, data[data.length - 1].value[2]);
      var pad = Math.max((last - first) * 0.03, DAY);
      return {
        grid: { left: 4, right: 16, top: 24, bottom: 4, containLabel: true },
        tooltip: {
          formatter: function (p) {
            return names[p.value[0]] + "<br>" + p.value[3] + " – " + p.value[4];
          },
        },
        xAxis: {
          type: "time",
          min: first - pad,
          max: last + pad,
          splitNumber: narrow() ? 3 : 6,
          axisLabel: { hideOverlap: true },
        },
        yAxis: { type: "category", data: names, inverse: true, axisTick: { show: false } },
        series: [
          {
            type: "custom",
            renderItem: function (params, api) {
              var start = api.coord([api.value(1), api.value(0)]);
              var end = api.coord([api.value(2), api.value(0)]);
              var height = api.size([0, 1])[1] * 0.55;
              var shape = echarts.graphic.clipRectByRect(
                { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height: height },
                {
                  x: params.coordSys.x,
                  y: params.coordSys.y,
                  width: params.coordSys.width,
                  height: params.coordSys.height,
                }
              );
              return shape && { type: "rect", shape: shape, style: api.style() };
            },
            encode: { x: [1, 2], y: 0 },
            data: data,
            markLine: {
              silent: true,
              symbol: "none",
              lineStyle: { color: "#212529", type: "dashed", width: 1.5 },
              // The category axis is inverted, so the line's start is at the top.
              label: { formatter: d.todayLabel, position: "start" },
              data: [{ xAxis: today }],
            },
          },
        ],
      };
    },
  };

  var charts = [];
  var locale = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";

  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.dataset.chart];
      var data = read(el.dataset.source);
      if (!build || !data) {
        return;
      }
      var option = build(data);
      if (!option) {
        el.classList.add("d-none");
        return;
      }
      option.animation = false;
      var chart = echarts.init(el, null, { renderer: "canvas", locale: locale });
      chart.setOption(option);
      charts.push({ chart: chart, el: el, build: build, data: data });
    });
  }

  var wasNarrow = narrow();
  var pending = null;
  function resize() {
    if (pending) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(function () {
      var nowNarrow = narrow();
      charts.forEach(function (item) {
        if (nowNarrow !== wasNarrow) {
          // Tick counts and font sizes depend on the width class.
          var option = item.build(item.data);
          option.animation = false;
          item.chart.setOption(option, true);
        }
        item.chart.resize();
      });
      wasNarrow = nowNarrow;
    }, 120);
  }

  draw();
  window.addEventListener("resize", resize);
})();
