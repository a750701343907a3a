/* The public page's bar chart: raised and granted each month (CNY), drawn with ECharts from
   the figures the page embeds; the table under it carries the same numbers for everyone. */
(function () {
  "use strict";
  var box = document.getElementById("public-chart");
  var data = document.getElementById("public-chart-data");
  if (!box || !data || typeof echarts === "undefined") { return; }
  var figures = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [box.dataset.raisedLabel, box.dataset.grantedLabel] },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: figures.months },
    yAxis: { type: "value", name: box.dataset.unit },
    series: [
      { name: box.dataset.raisedLabel, type: "bar", data: figures.raised.map(Number), itemStyle: { color: "#1f6f5c" } },
      { name: box.dataset.grantedLabel, type: "bar", data: figures.granted.map(Number), itemStyle: { color: "#c0562b" } }
    ]
  });
  box.dataset.drawn = "true";
  window.addEventListener("resize", function () { chart.resize(); });
})();
