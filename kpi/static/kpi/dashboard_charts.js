/* The dashboard's Pareto of cause types and its category × channel heat map,
   drawn with Apache ECharts (vendor/echarts-5.6.0, served locally). The data
   comes from the page (json_script); clicking a bar, a point or a cell opens
   the complaints behind it. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function drillOnClick(chart, urlOf) {
    chart.on("click", function (params) {
      var url = urlOf(params);
      if (url) { window.location.href = url; }
    });
  }

  var pareto = data("pareto-data");
  var paretoNode = document.getElementById("pareto-chart");
  if (paretoNode && pareto && pareto.length) {
    var chart = echarts.init(paretoNode);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 36, bottom: 64 },
      xAxis: {
        type: "category",
        data: pareto.map(function (p) { return p.label; }),
        axisLabel: { interval: 0, rotate: 20 }
      },
      yAxis: [
        { type: "value", minInterval: 1 },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } }
      ],
      series: [
        {
          name: paretoNode.dataset.countLabel,
          type: "bar",
          data: pareto.map(function (p) { return p.count; }),
          itemStyle: { color: "#264b5d" },
          cursor: "pointer"
        },
        {
          name: paretoNode.dataset.cumulativeLabel,
          type: "line",
          yAxisIndex: 1,
          data: pareto.map(function (p) { return p.cumulative; }),
          itemStyle: { color: "#cf222e" },
          tooltip: { valueFormatter: function (v) { return v + " %"; } }
        }
      ]
    });
    drillOnClick(chart, function (params) { return pareto[params.dataIndex].url; });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var heat = data("heatmap-data");
  var heatNode = document.getElementById("heatmap-chart");
  if (heatNode && heat && heat.cells && heat.cells.length) {
    var max = Math.max.apply(null, heat.cells.map(function (c) { return c.count; }));
    var grid = echarts.init(heatNode);
    grid.setOption({
      animation: false,
      tooltip: {
        position: "top",
        formatter: function (p) {
          return heat.categories[p.value[1]] + " · " + heat.channels[p.value[0]] +
            "<br>" + heatNode.dataset.countLabel + ": " + p.value[2];
        }
      },
      grid: { left: 110, right: 24, top: 12, bottom: 80 },
      xAxis: { type: "category", data: heat.channels, splitArea: { show: true },
               axisLabel: { interval: 0, rotate: 20 } },
      yAxis: { type: "category", data: heat.categories, splitArea: { show: true } },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal",
                   left: "center", bottom: 0, itemHeight: 120,
                   inRange: { color: ["#eaf2f8", "#264b5d"] } },
      series: [{
        name: heatNode.dataset.countLabel,
        type: "heatmap",
        data: heat.cells.map(function (c) { return [c.x, c.y, c.count]; }),
        label: { show: true },
        cursor: "pointer"
      }]
    });
    drillOnClick(grid, function (params) { return heat.cells[params.dataIndex].url; });
    window.addEventListener("resize", function () { grid.resize(); });
  }
})();
