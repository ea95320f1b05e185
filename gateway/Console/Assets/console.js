// Progressive enhancement only: every action works without this file.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) { return; }
      field.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
  // Shows the fields that belong to the chosen kind of service account (team or org, built-in or federated).
  document.querySelectorAll("[data-shows]").forEach(function (input) {
    var update = function () {
      document.querySelectorAll("[data-when]").forEach(function (el) {
        var rule = el.getAttribute("data-when").split("=");
        var chosen = document.querySelector("input[name='" + rule[0] + "']:checked");
        if (chosen) { el.hidden = chosen.value !== rule[1]; }
      });
    };
    input.addEventListener("change", update);
    update();
  });
})();
