/* The fund page's two charts, drawn from the JSON the page carries (the figures are also
   in the page's tables, for screen readers and for anyone without JavaScript). */
(function () {
  "use strict";
  var source = document.getElementById("fund-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);

  function balanceChart(element) {
    var series = data.balance.map(function (line) {
      return { name: line.currency, type: "line", step: "end", showSymbol: line.points.length < 60,
               data: line.points.map(function (p) { return [p[0], Number(p[1])]; }) };
    });
    var chart = echarts.init(element);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { show: series.length > 1 },
      grid: { left: 64, right: 16, top: 24, bottom: 32 },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: data.labels.yuan },
      series: series
    });
    return chart;
  }

  function flowChart(element) {
    var labels = {};
    data.flows.nodes.forEach(function (node) { labels[node.name] = node.label; });
    var chart = echarts.init(element);
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.dataType === "edge") {
            return labels[p.data.source] + " → " + labels[p.data.target] + ": ¥" + p.data.value;
          }
          return labels[p.name];
        }
      },
      series: [{
        type: "sankey", left: 8, right: 120, top: 8, bottom: 8, nodeGap: 10,
        emphasis: { focus: "adjacency" },
        label: { formatter: function (p) { return labels[p.name]; } },
        data: data.flows.nodes.map(function (node) { return { name: node.name }; }),
        links: data.flows.links.map(function (link) {
          return { source: link.source, target: link.target, value: Number(link.value) };
        })
      }]
    });
    return chart;
  }

  var charts = [];
  var balance = document.getElementById("balance-chart");
  if (balance && data.balance.length) { charts.push(balanceChart(balance)); }
  var flows = document.getElementById("flow-chart");
  if (flows && data.flows.links.length) { charts.push(flowChart(flows)); }
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
}());
