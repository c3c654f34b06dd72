// The wizards' small helps; every screen works without them (the server checks everything).
// - "Suivant" is active once every mandatory field shown is filled;
// - questions that depend on a Oui/Non answer appear with it;
// - the "Ville" list follows the "Code postal";
// - the formula screen's price follows the chosen formula and options at once.
(function () {
  "use strict";

  function shownFields(form) {
    return Array.prototype.filter.call(form.querySelectorAll("[data-required]"), function (field) {
      return !field.closest("[hidden]");
    });
  }

  function groupsFilled(form) {
    return Array.prototype.every.call(form.querySelectorAll("[data-required-group]"), function (group) {
      if (group.closest("[hidden]")) return true;
      return group.querySelector("input:checked") !== null;
    });
  }

  function updateNext(form) {
    var next = form.querySelector("[data-next]");
    if (!next) return;
    var filled = groupsFilled(form) && shownFields(form).every(function (field) { return field.value.trim() !== ""; });
    next.disabled = !filled;
    next.setAttribute("aria-disabled", filled ? "false" : "true");
  }

  function updateConditional(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (block) {
      var rule = block.getAttribute("data-show-when").split("=");
      var checked = form.querySelector('input[name="' + rule[0] + '"]:checked');
      block.hidden = !(checked && checked.value === rule[1]);
    });
    var withoutEmail = form.querySelector("[data-without-email]");
    var email = form.querySelector("#email");
    if (withoutEmail && email) {
      if (withoutEmail.checked) { email.removeAttribute("data-required"); email.required = false; }
      else { email.setAttribute("data-required", ""); email.required = true; }
    }
  }

  function fillCommunes(container, form) {
    var postcode = container.querySelector('input[inputmode="numeric"]');
    var select = container.querySelector("[data-commune-select]");
    if (!postcode || !select) return;
    var last = postcode.value.trim();
    postcode.addEventListener("input", function () {
      var value = postcode.value.trim();
      if (value === last) return;
      last = value;
      if (!/^[0-9]{5}$/.test(value)) {
        select.innerHTML = '<option value="">Saisissez d\'abord le code postal</option>';
        updateNext(form);
        return;
      }
      fetch("/api/communes?code_postal=" + encodeURIComponent(value), {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (postcode.value.trim() !== value) return;
          var communes = body.communes || [];
          select.innerHTML = "";
          var first = document.createElement("option");
          first.value = "";
          first.textContent = communes.length ? "Choisissez la ville" : "Aucune commune pour ce code postal";
          select.appendChild(first);
          communes.forEach(function (commune) {
            var option = document.createElement("option");
            option.value = commune.code;
            option.textContent = commune.nom;
            select.appendChild(option);
          });
          if (communes.length === 1) select.value = communes[0].code;
          updateNext(form);
        })
        .catch(function () { /* the server checks the commune when the form is sent */ });
    });
  }

  var euros = new Intl.NumberFormat("fr-FR", {style: "currency", currency: "EUR"});
  function money(amount) { return euros.format(amount).replace(/[\u202f\u00a0]/g, " "); }

  function updatePrice(form) {
    var formula = form.querySelector('input[name="formule"]:checked');
    if (!formula) return;
    var cents = Math.round(parseFloat(formula.getAttribute("data-monthly")) * 100);
    var names = [formula.getAttribute("data-name")];
    form.querySelectorAll('input[name="options"]').forEach(function (option) {
      var amount = JSON.parse(option.getAttribute("data-amounts"))[formula.value];
      var optionCents = Math.round(parseFloat(amount) * 100);
      var cell = form.querySelector('[data-option-amount="' + option.value + '"]');
      if (cell) cell.textContent = money(optionCents / 100) + " / mois";
      var annualCell = form.querySelector('[data-option-annual="' + option.value + '"]');
      if (annualCell) annualCell.textContent = money(optionCents * 12 / 100);
      if (option.checked) {
        cents += Math.round(parseFloat(amount) * 100);
        names.push(option.parentElement.textContent.trim());
      }
    });
    form.querySelector('[data-summary="formule"]').textContent = names.join(" + ");
    form.querySelector('[data-summary="mensuel"]').textContent = money(cents / 100) + " / mois";
    form.querySelector('[data-summary="annuel"]').textContent = money(cents * 12 / 100);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-wizard-form]").forEach(function (form) {
      var refresh = function () {
        updateConditional(form);
        if (form.hasAttribute("data-price-form")) updatePrice(form);
        updateNext(form);
      };
      form.addEventListener("input", refresh);
      form.addEventListener("change", refresh);
      form.querySelectorAll("[data-communes]").forEach(function (container) { fillCommunes(container, form); });
      refresh();
    });
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
