// The case graph: the JSON KIX answered to this agency, drawn with the vendored cytoscape.js.
// Pan by dragging, zoom with the wheel, click a record to open its page; export as PNG.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("graph");
  if (!holder || typeof cytoscape !== "function") {
    return;
  }
  var records = { alert: "/alerts/", suspect: "/suspects/", lead: "/leads/" };
  fetch(holder.getAttribute("data-graph"), { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (graph) {
      var elements = graph.nodes.map(function (node) {
        return { data: { id: node.id, label: node.label, kind: node.kind } };
      }).concat(graph.edges.map(function (edge) {
        return { data: { id: edge.id, source: edge.source, target: edge.target, label: edge.type } };
      }));
      var cy = cytoscape({
        container: holder,
        elements: elements,
        layout: { name: "cose", animate: false, padding: 40, randomize: false },
        maxZoom: 3,
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "#1f5f8b", color: "#111",
            "text-valign": "bottom", "text-margin-y": 4, "text-background-color": "#f3f5f7", "text-background-opacity": 0.9 } },
          { selector: "node[kind = 'suspect']", style: { "background-color": "#8b1f3a" } },
          { selector: "node[kind = 'lead']", style: { "background-color": "#2f6b2f" } },
          { selector: "edge", style: { label: "data(label)", "font-size": 8, width: 1.5, "curve-style": "bezier",
            "target-arrow-shape": "triangle", "text-background-color": "#ffffff", "text-background-opacity": 0.9,
            "text-rotation": "autorotate" } }
        ]
      });
      if (cy.zoom() > 1.2) {  // a small graph is not blown up to fill the frame
        cy.zoom(1.2);
        cy.center();
      }
      holder.setAttribute("data-ready", String(graph.nodes.length));
      cy.on("tap", "node", function (event) {
        var prefix = records[event.target.data("kind")];
        if (prefix) {
          window.location.href = prefix + encodeURIComponent(event.target.id());
        }
      });
      document.getElementById("graph-fit").addEventListener("click", function () { cy.fit(); });
      document.getElementById("graph-png").addEventListener("click", function () {
        var link = document.createElement("a");
        link.href = cy.png({ full: true, bg: "#ffffff" });
        link.download = "case-graph.png";
        link.click();
      });
    });
});
