// The console's own script (no inline script anywhere: the Content-Security-Policy forbids it).
// 1. htmx requests carry the session's CSRF token, read from the page's meta tag.
// 2. A timeline with data-live follows its server-sent event stream and appends each entry it sends.
"use strict";

document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.headers["X-CSRF-Token"] = meta.content;
  }
});

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-live]").forEach(function (list) {
    var source = new EventSource(list.getAttribute("data-live"));
    source.addEventListener("entry", function (event) {
      var holder = document.createElement("template");
      holder.innerHTML = event.data.trim();
      var entry = holder.content.firstElementChild;
      if (entry && !document.getElementById(entry.id)) {
        list.appendChild(entry);
      }
    });
    ["closed", "ended"].forEach(function (name) {
      source.addEventListener(name, function () { source.close(); });
    });
  });
});
