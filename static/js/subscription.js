// The subscription steps save as the client types: a short pause after a change sends the
// form (with its CSRF token) to the step's save address. The server keeps every answer,
// checks it and answers the messages; "Suivant" and "Précédent" send the whole form too,
// so the page works without this script.
(function () {
  "use strict";
  var PAUSE_MS = 800;

  function start(form) {
    var url = form.getAttribute("data-autosave");
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    var sending = false;
    var again = false;

    function say(text) { if (status) status.textContent = text; }

    function save() {
      timer = null;
      if (sending) { again = true; return; }
      sending = true;
      var body = new FormData(form);
      body.delete("action");
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          return response.json().then(function (answer) {
            if (response.ok) say("Vos réponses sont enregistrées.");
            else say(answer.erreur || "L'enregistrement automatique a échoué : utilisez « Suivant ».");
          });
        })
        .catch(function () { say("Connexion perdue : vos réponses seront enregistrées avec « Suivant »."); })
        .then(function () {
          sending = false;
          if (again) { again = false; save(); }
        });
    }

    function later() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, PAUSE_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", function () { if (timer) clearTimeout(timer); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-autosave]").forEach(start);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
