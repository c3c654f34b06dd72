// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  // On a phone the side panel and "Vente directe" start folded (the page comes first); on a
  // desktop both start open, unless the panel was hidden by hand.
  var phone = window.matchMedia && window.matchMedia("(max-width: 47.99rem)").matches;
  var toggle = document.querySelector("[data-panel-toggle]");
  if (toggle) {
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    var hiddenByHand = window.localStorage && localStorage.getItem("panel-hidden") === "1";
    if (phone || hiddenByHand) {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    }
    toggle.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
      if (window.localStorage && !phone) localStorage.setItem("panel-hidden", panel.hidden ? "1" : "0");
    });
  }
  if (phone) {
    document.querySelectorAll("details[data-fold-on-phone]").forEach(function (group) { group.open = false; });
  }
  // A list that changes what the page shows ("Objet") shows it at once.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // A double click sends a form once: a second click on the same button within 5 seconds does
  // nothing. Another button of the same form still works, and searches and downloads (GET) are
  // never held back.
  document.querySelectorAll("form").forEach(function (form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var sent = "sent:" + (button ? (button.name + "=" + button.value + "@" + (button.getAttribute("formaction") || "")) : "");
      if (form.dataset.sent === sent) { event.preventDefault(); return; }
      form.dataset.sent = sent;
      setTimeout(function () { if (form.dataset.sent === sent) form.dataset.sent = ""; }, 5000);
    });
  });
});
