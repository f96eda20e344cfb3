// tieskg network view: a small force layout in plain JavaScript (no libraries).
// Reads the JSON in <script id="data">: {nodes: [{id, label, sub, kind, centre, layer}],
// links: [{source, target, weight, kind, colour, tie}], kinds: {kind: colour}}.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("data").textContent);
  var svg = document.getElementById("view");
  var info = document.getElementById("info");
  var width = svg.clientWidth || 1000, height = svg.clientHeight || 700;
  var byId = {};
  data.nodes.forEach(function (n, i) {
    var angle = 2 * Math.PI * i / data.nodes.length;
    n.x = n.centre ? width / 2 : width / 2 + Math.cos(angle) * width / 4;
    n.y = n.centre ? height / 2 : height / 2 + Math.sin(angle) * height / 4;
    if (typeof n.layer === "number") { n.x = width / 2 + n.layer * 260; }
    n.vx = 0; n.vy = 0; byId[n.id] = n;
  });
  var links = data.links.filter(function (l) { return byId[l.source] && byId[l.target]; });
  var heaviest = Math.max.apply(null, [1].concat(links.map(function (l) { return l.weight; })));

  var legend = document.getElementById("legend");
  Object.keys(data.kinds || {}).forEach(function (k) {
    var s = document.createElement("span");
    s.innerHTML = '<i style="background:' + data.kinds[k] + '"></i>';
    s.appendChild(document.createTextNode(k));
    legend.appendChild(s);
  });

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var a in attrs) { e.setAttribute(a, attrs[a]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  var defs = el("defs", {}, svg);
  var colours = {};
  links.forEach(function (l) { colours[l.colour] = true; });
  Object.keys(colours).forEach(function (c, i) {
    var m = el("marker", {id: "arrow" + i, viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 16, markerHeight: 16, markerUnits: "userSpaceOnUse",
      orient: "auto-start-reverse"}, defs);
    el("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: c}, m);
    colours[c] = "url(#arrow" + i + ")";
  });
  var world = el("g", {}, svg);
  var edgeLayer = el("g", {}, world), nodeLayer = el("g", {}, world);

  links.forEach(function (l, i) {
    // parallel ties between one pair bend apart
    var twins = links.filter(function (o) {
      return (o.source === l.source && o.target === l.target) ||
             (o.source === l.target && o.target === l.source);
    });
    l.bend = 0.15 + 0.12 * twins.indexOf(l);
    l.path = el("path", {fill: "none", stroke: l.colour, "stroke-opacity": 0.8,
      "stroke-width": 1.5 + 3 * l.weight / heaviest, "marker-end": colours[l.colour]},
      edgeLayer);
    l.label = el("text", {"font-size": 13, fill: l.colour, "text-anchor": "middle",
      stroke: "#fafafa", "stroke-width": 3, "paint-order": "stroke"}, edgeLayer);
    l.label.textContent = String(l.weight);
    l.path.addEventListener("click", function () {
      show((l.kind ? l.kind + ": " : "") + byId[l.source].label + " → " + byId[l.target].label +
           "\nweight " + l.weight + (l.tie ? "\n" + l.tie : ""));
    });
  });
  data.nodes.forEach(function (n) {
    n.g = el("g", {"class": "node" + (n.centre ? " centre" : "")}, nodeLayer);
    n.rect = el("rect", {rx: 5, ry: 5, fill: "#F2F2F2"}, n.g);
    var t = el("text", {"text-anchor": "middle"}, n.g);
    var a = el("tspan", {x: 0, dy: n.sub ? "-0.2em" : "0.35em", "font-weight": n.centre ? "bold" : "normal"}, t);
    a.textContent = n.label;
    if (n.sub) { var b = el("tspan", {x: 0, dy: "1.2em", fill: "#555"}, t); b.textContent = n.sub; }
    var box = t.getBBox();
    n.w = box.width + 14; n.h = box.height + 8;
    el("title", {}, n.g).textContent = n.iri;
    // centre the text (and its box) on the node's position
    t.setAttribute("transform", "translate(0," + (-(box.y + box.height / 2)) + ")");
    n.rect.setAttribute("x", -n.w / 2); n.rect.setAttribute("y", -n.h / 2);
    n.rect.setAttribute("width", n.w); n.rect.setAttribute("height", n.h);
    n.g.addEventListener("mousedown", function (e) { e.stopPropagation(); dragging = n; });
    n.g.addEventListener("click", function () { show(n.label + (n.sub ? " " + n.sub : "") + "\n" + n.iri); });
  });

  function show(text) { info.style.display = "block"; info.textContent = text; }

  var alpha = 1;
  function tick() {
    var k = 0.06 * alpha;
    for (var i = 0; i < data.nodes.length; i++) {
      var a = data.nodes[i];
      for (var j = i + 1; j < data.nodes.length; j++) {
        var b = data.nodes[j], dx = b.x - a.x, dy = b.y - a.y;
        var d2 = Math.max(dx * dx + dy * dy, 100), f = 9000 / d2 * alpha;
        var d = Math.sqrt(d2);
        a.vx -= f * dx / d; a.vy -= f * dy / d; b.vx += f * dx / d; b.vy += f * dy / d;
      }
    }
    links.forEach(function (l) {
      var s = byId[l.source], t = byId[l.target], dx = t.x - s.x, dy = t.y - s.y;
      var d = Math.sqrt(dx * dx + dy * dy) || 1, f = (d - 230) * k * 0.5;
      s.vx += f * dx / d; s.vy += f * dy / d; t.vx -= f * dx / d; t.vy -= f * dy / d;
    });
    data.nodes.forEach(function (n) {
      n.vx += (width / 2 - n.x) * 0.004 * alpha; n.vy += (height / 2 - n.y) * 0.004 * alpha;
      if (typeof n.layer === "number") { n.vx += (width / 2 + n.layer * 260 - n.x) * 0.05; }
      if (n.centre || n === dragging) { n.vx = 0; n.vy = 0; return; }
      n.x += Math.max(-30, Math.min(30, n.vx)); n.y += Math.max(-30, Math.min(30, n.vy));
      n.vx *= 0.6; n.vy *= 0.6;
    });
    alpha = Math.max(alpha * 0.985, 0.02);
    draw();
    if (alpha > 0.021 || dragging) { requestAnimationFrame(tick); }
  }

  function edgePoint(n, x, y) {
    // where the line from n's centre towards (x, y) leaves n's box
    var dx = x - n.x, dy = y - n.y;
    var s = Math.min(Math.abs((n.w / 2 + 4) / (dx || 1e-9)), Math.abs((n.h / 2 + 4) / (dy || 1e-9)));
    return [n.x + dx * Math.min(s, 1), n.y + dy * Math.min(s, 1)];
  }
  function draw() {
    links.forEach(function (l) {
      var s = byId[l.source], t = byId[l.target];
      var mx = (s.x + t.x) / 2 - (t.y - s.y) * l.bend, my = (s.y + t.y) / 2 + (t.x - s.x) * l.bend;
      var p = edgePoint(s, mx, my), q = edgePoint(t, mx, my);
      l.path.setAttribute("d", "M" + p[0] + "," + p[1] + " Q" + mx + "," + my + " " + q[0] + "," + q[1]);
      l.label.setAttribute("x", (p[0] + 2 * mx + q[0]) / 4);
      l.label.setAttribute("y", (p[1] + 2 * my + q[1]) / 4);
    });
    data.nodes.forEach(function (n) {
      n.g.setAttribute("transform", "translate(" + n.x + "," + n.y + ")");
    });
  }

  var dragging = null, panning = null, view = {x: 0, y: 0, s: 1};
  function place() { world.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.s + ")"); }
  svg.addEventListener("mousedown", function (e) { panning = [e.clientX - view.x, e.clientY - view.y]; });
  window.addEventListener("mousemove", function (e) {
    if (dragging) {
      var r = svg.getBoundingClientRect();
      dragging.x = (e.clientX - r.left - view.x) / view.s; dragging.y = (e.clientY - r.top - view.y) / view.s;
      draw();
    } else if (panning) { view.x = e.clientX - panning[0]; view.y = e.clientY - panning[1]; place(); }
  });
  window.addEventListener("mouseup", function () { dragging = null; panning = null; });
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var f = e.deltaY < 0 ? 1.1 : 1 / 1.1, r = svg.getBoundingClientRect();
    var cx = e.clientX - r.left, cy = e.clientY - r.top;
    view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f; view.s *= f; place();
  }, {passive: false});
  tick();
})();
