/* Faregate traveler pages: small enhancements. Every page works without this file.
   - the hold's countdown ticks each second and says when the hold has run out;
   - stop names are suggested from /api/v1/stops as the traveler types (large timetables);
   - the seat map counts the seats picked. */
(function () {
  "use strict";

  var ANNOUNCE_AT = [300, 120, 60, 30]; // seconds left at which screen readers are told

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  function startCountdown(box) {
    var total = parseInt(box.getAttribute("data-seconds-left"), 10);
    var clock = box.querySelector("[data-countdown-clock]");
    var left = box.querySelector("[data-countdown-left]");
    var announce = box.querySelector("[data-countdown-announce]");
    var expired = document.querySelector("[data-countdown-expired]");
    var submit = document.querySelector("[data-checkout-submit]");
    if (isNaN(total) || !clock) {
      return;
    }
    // Counted from page load on a monotonic clock: the traveler's own clock may be wrong.
    var started = window.performance.now();
    var pending = ANNOUNCE_AT.filter(function (at) { return at < total; });
    var timer = null;
    if (left) {
      left.hidden = false;
    }

    function tick() {
      var elapsed = Math.floor((window.performance.now() - started) / 1000);
      var remaining = Math.max(0, total - elapsed);
      var minutes = Math.floor(remaining / 60);
      var seconds = remaining % 60;
      clock.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      while (pending.length && remaining <= pending[0] && remaining > 0) {
        var at = pending.shift();
        if (announce) {
          announce.textContent = at >= 60
            ? plural(Math.round(at / 60), "minute", "minutes") + " left to finish your booking."
            : plural(at, "second", "seconds") + " left to finish your booking.";
        }
      }
      if (remaining === 0) {
        window.clearInterval(timer);
        box.hidden = true;
        if (expired) {
          expired.hidden = false;
        }
        if (submit) {
          submit.disabled = true;
        }
        if (announce) {
          announce.textContent = "Your hold has run out. Your seats have been released.";
        }
      }
    }

    tick();
    timer = window.setInterval(tick, 1000);
  }

  function suggestStops() {
    var shared = document.getElementById("stop-names");
    if (!shared || shared.options.length > 0) {
      return; // every stop is in the page already
    }
    var inputs = document.querySelectorAll("[data-stop-search]");
    Array.prototype.forEach.call(inputs, function (input) {
      var list = document.createElement("datalist");
      var waiting = null;
      var asked = "";
      list.id = "stops-for-" + input.id;
      input.parentNode.appendChild(list);
      input.setAttribute("list", list.id);
      input.addEventListener("input", function () {
        window.clearTimeout(waiting);
        waiting = window.setTimeout(function () {
          var text = input.value.trim();
          if (text.length < 2 || text === asked) {
            return;
          }
          asked = text;
          var url = "/api/v1/stops?limit=8&q=" + encodeURIComponent(text);
          window.fetch(url, { headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (page) {
              if (!page || text !== asked) {
                return;
              }
              list.textContent = "";
              page.stops.forEach(function (stop) {
                var option = document.createElement("option");
                option.value = stop.stop_name;
                list.appendChild(option);
              });
            })
            .catch(function () { /* suggestions are a convenience; typing still works */ });
        }, 200);
      });
    });
  }

  function countSeats(form) {
    var status = form.querySelector("[data-seat-count]");
    var boxes = form.querySelectorAll("input[name='seat']");
    var most = 9;
    function update(event) {
      var picked = Array.prototype.filter.call(boxes, function (box) { return box.checked; });
      if (picked.length > most && event && event.target.checked) {
        event.target.checked = false;
        status.textContent = "You can pick at most " + most + " seats.";
        return;
      }
      var labels = picked.map(function (box) { return box.value; });
      status.textContent = labels.length
        ? plural(labels.length, "seat", "seats") + " selected: " + labels.join(", ")
        : "";
    }
    form.addEventListener("change", update);
    update(null);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-countdown]");
    if (box) {
      startCountdown(box);
    }
    suggestStops();
    var seatForm = document.querySelector(".seat-form");
    if (seatForm) {
      countSeats(seatForm);
    }
  });
}());
