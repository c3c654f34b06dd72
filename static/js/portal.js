// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
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
