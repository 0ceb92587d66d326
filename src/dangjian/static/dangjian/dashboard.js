// The dashboard's two charts, drawn from the figures the page already shows in its tables.
(function () {
  "use strict";
  var el = document.getElementById("dashboard-data");
  if (!el || typeof echarts === "undefined") return;
  var d = JSON.parse(el.textContent);
  var orgs = echarts.init(document.getElementById("chart-orgs"));
  orgs.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
    xAxis: { type: "category", data: d.orgs, axisLabel: { interval: 0, rotate: d.orgs.length > 4 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "已召开组织生活", type: "bar", data: d.meetings, itemStyle: { color: "#b5121b" } },
      { name: "违规", type: "bar", data: d.violated, itemStyle: { color: "#dc3545" } },
      { name: "预警", type: "bar", data: d.at_risk, itemStyle: { color: "#ffc107" } },
      { name: "逾期任务", type: "bar", data: d.overdue, itemStyle: { color: "#6c757d" } }
    ]
  });
  // Drill down: a click on an organization opens the same dashboard for it.
  var rows = document.querySelectorAll("#dashboard-table tbody tr a[href^='?org=']");
  orgs.on("click", function (params) {
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].textContent === params.name) { window.location = rows[i].getAttribute("href"); }
    }
  });
  var months = echarts.init(document.getElementById("chart-months"));
  months.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 8, bottom: 8, top: 24, containLabel: true },
    xAxis: { type: "category", data: d.months },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "已召开组织生活", type: "line", data: d.by_month, itemStyle: { color: "#b5121b" } }]
  });
  var charts = [orgs, months];
  // The findings heat map: organizations × rules, red + amber counts (the table below has both).
  var heatEl = document.getElementById("chart-heat");
  if (heatEl && d.heat.cells.length) {
    var heat = echarts.init(heatEl);
    heat.setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          return d.heat.orgs[p.value[1]] + "<br>" + d.heat.columns[p.value[0]] +
            "：违规 " + p.value[3] + "，预警 " + p.value[4];
        }
      },
      grid: { left: 8, right: 8, bottom: 48, top: 8, containLabel: true },
      xAxis: { type: "category", data: d.heat.columns, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "category", data: d.heat.orgs, inverse: true },
      visualMap: {
        min: 0, max: Math.max(1, d.heat.max), calculable: false, orient: "horizontal",
        left: "center", bottom: 0, itemHeight: 80, inRange: { color: ["#fff3cd", "#b5121b"] }
      },
      series: [{ type: "heatmap", data: d.heat.cells, label: { show: true, formatter: function (p) { return p.value[2]; } } }]
    });
    heat.on("click", function (p) {
      var name = d.heat.orgs[p.value[1]];
      for (var i = 0; i < rows.length; i++) {
        if (rows[i].textContent === name) { window.location = rows[i].getAttribute("href"); }
      }
    });
    charts.push(heat);
    // Shade the table's cells the same way (the numbers stay the figures).
    var cells = document.querySelectorAll("#heat-table .heat-cell");
    for (var k = 0; k < cells.length; k++) {
      var n = Number(cells[k].getAttribute("data-violated")) + Number(cells[k].getAttribute("data-at-risk"));
      if (n) { cells[k].style.backgroundColor = "rgba(181, 18, 27, " + (0.08 + 0.5 * n / Math.max(1, d.heat.max)).toFixed(2) + ")"; }
    }
  }
  var small = document.querySelectorAll("[data-structure]");
  for (var i = 0; i < small.length; i++) {
    var part = d.structure[Number(small[i].getAttribute("data-structure"))];
    var pie = echarts.init(small[i]);
    pie.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      series: [{
        name: part.title, type: "pie", radius: ["35%", "65%"],
        data: part.labels.map(function (label, j) { return { name: label, value: part.values[j] }; })
      }]
    });
    charts.push(pie);
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
