// The side panel, run as soon as it is parsed (not deferred): on a phone it and "Vente directe"
// start folded before anything can be tapped, and the menu button works from the first tap; on
// a desktop both start open, unless the panel was hidden by hand. Without script, all is open.
// The button is shown only once it answers: a tap while this file was still loading did nothing,
// then the panel folded under the finger.
(function () {
  var phone = window.matchMedia && window.matchMedia("(max-width: 47.99rem)").matches;
  var toggle = document.querySelector("[data-panel-toggle]");
  if (!toggle) return;
  var panel = document.getElementById(toggle.getAttribute("aria-controls"));
  var hiddenByHand = window.localStorage && localStorage.getItem("panel-hidden") === "1";
  if (phone || hiddenByHand) {
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
  }
  if (phone) {
    panel.querySelectorAll("details[data-fold-on-phone]").forEach(function (group) { group.open = false; });
  }
  toggle.addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
    if (window.localStorage && !phone) localStorage.setItem("panel-hidden", panel.hidden ? "1" : "0");
  });
  toggle.hidden = false;
})();
