/* Faregate console: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Copy buttons: data-copy names the element whose text is copied.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.tagName === "OL"
        ? Array.prototype.map.call(source.querySelectorAll("li"), function (item) {
            return item.textContent.trim();
          }).join("\n")
        : source.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        var label = button.textContent;
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  // Forms with data-busy: say that the server is working, and prevent a second submission.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    form.addEventListener("submit", function () {
      if (button) {
        button.disabled = true;
        button.textContent = form.getAttribute("data-busy");
      }
      form.setAttribute("aria-busy", "true");
    });
    // Coming back to the page from the browser's history: the form is usable again.
    window.addEventListener("pageshow", function () {
      if (button) {
        button.disabled = false;
        button.textContent = label;
      }
      form.removeAttribute("aria-busy");
    });
  });

  // The device form shows the stop field for gates and the vehicle field for buses.
  document.querySelectorAll("[data-placement-switch]").forEach(function (select) {
    var form = select.form;
    function update() {
      var kind = select.value === "bus" ? "bus" : "gate";
      form.querySelectorAll("[data-placement]").forEach(function (block) {
        var shown = block.getAttribute("data-placement") === kind;
        block.hidden = !shown;
        block.querySelectorAll("input").forEach(function (input) {
          input.disabled = !shown;
        });
      });
    }
    select.addEventListener("change", update);
    update();
  });
})();
