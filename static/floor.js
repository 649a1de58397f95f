/* The list of speakers, enhanced: the facilitator's page and the projector update without reloading.
   Without this script both still work: actions are plain forms, the projector page reloads itself.
   Both poll a small address with If-None-Match: while the list is unchanged the answer is a bodyless 304.
   The clock ticks here between answers, from the seconds and running state the server sent. */
(function () {
  "use strict";

  function clockText(seconds) {
    var sign = seconds < 0 ? "-" : "";
    var whole = Math.floor(Math.abs(seconds));
    var h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return sign + (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }

  var loadedAt = Date.now();
  function tick() {
    var clocks = document.querySelectorAll("[data-clock]");
    for (var i = 0; i < clocks.length; i++) {
      var clock = clocks[i];
      var seconds = parseFloat(clock.getAttribute("data-seconds")) || 0;
      if (clock.getAttribute("data-running") === "1") { seconds += (Date.now() - loadedAt) / 1000; }
      clock.textContent = clockText(seconds);
      var limit = parseInt(clock.getAttribute("data-limit"), 10) || 0;
      var over = limit > 0 && seconds > limit;
      var holder = clock.closest(".floor-clock") || clock;
      holder.classList.toggle("floor-over", over);
      var note = holder.querySelector(".floor-over-note");
      if (note) { note.hidden = !over; }
    }
  }

  function poller(url, seconds, onChange) {
    var etag = null;
    function poll() {
      if (document.hidden) { return; }
      var headers = {"Accept": onChange.accept};
      if (etag) { headers["If-None-Match"] = etag; }
      fetch(url, {headers: headers, cache: "no-store", credentials: "same-origin"}).then(function (response) {
        if (response.status === 304 || !response.ok) { return null; }
        etag = response.headers.get("ETag");
        return onChange.accept === "application/json" ? response.json() : response.text();
      }).then(function (body) {
        if (body !== null && body !== undefined) { loadedAt = Date.now(); onChange.apply(body); tick(); }
      }).catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    setInterval(poll, Math.max(1, seconds) * 1000);
    return poll;
  }

  var live = document.getElementById("floor-live");
  if (live) {
    var pollNow = poller(live.getAttribute("data-live"), parseFloat(live.getAttribute("data-poll")), {
      accept: "text/html",
      apply: function (html) { live.innerHTML = html; }
    });
    live.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-floor-action")) { return; }
      event.preventDefault();
      var buttons = form.querySelectorAll("button");
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"Accept": "application/json"}}).then(function (response) {
        return response.json().then(function (body) {
          if (!body.ok && body.message) { window.alert(body.message); }
        });
      }).catch(function () {
        window.alert(live.getAttribute("data-msg-offline"));
      }).then(function () {
        for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = false; }
        pollNow();
      });
    });
  }

  var display = document.getElementById("floor-display");
  if (display) {
    var svgNS = "http://www.w3.org/2000/svg";
    poller(display.getAttribute("data-state"), parseFloat(display.getAttribute("data-poll")), {
      accept: "application/json",
      apply: function (state) {
        var clock = display.querySelector("[data-clock]");
        clock.setAttribute("data-seconds", state.seconds);
        clock.setAttribute("data-running", state.speaking ? "1" : "0");
        clock.setAttribute("data-limit", state.limit);
        display.querySelector("[data-speaker]").textContent = state.speaker || "";
        display.querySelector("[data-waiting]").textContent = state.waiting;
        var svg = display.querySelector("[data-bars]");
        while (svg.firstChild) { svg.removeChild(svg.firstChild); }
        svg.setAttribute("viewBox", "0 0 100 " + 12 * Math.max(1, state.bars.length));
        state.bars.forEach(function (bar, index) {
          var parts = [["rect", {x: 30, y: 12 * index + 1, width: 70 * bar.time_share, height: 6, "class": "floor-bar-time"}],
                       ["rect", {x: 30, y: 12 * index + 7, width: 70 * bar.attendance_share, height: 3, "class": "floor-bar-room"}],
                       ["text", {x: 0, y: 12 * index + 7, "font-size": 5}]];
          parts.forEach(function (part) {
            var node = document.createElementNS(svgNS, part[0]);
            Object.keys(part[1]).forEach(function (name) { node.setAttribute(name, part[1][name]); });
            if (part[0] === "text") { node.textContent = bar.label || String(bar.index); }
            svg.appendChild(node);
          });
        });
      }
    });
  }

  setInterval(tick, 250);
}());
