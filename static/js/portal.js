// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector("[data-panel-toggle]");
  if (toggle) {
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    if (window.localStorage && localStorage.getItem("panel-hidden") === "1") {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    }
    toggle.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
      if (window.localStorage) localStorage.setItem("panel-hidden", panel.hidden ? "1" : "0");
    });
  }
  // A form is sent once: a second click on its submit button does nothing.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      form.dataset.sent = "1";
      setTimeout(function () { form.dataset.sent = ""; }, 5000);
    });
  });
});
