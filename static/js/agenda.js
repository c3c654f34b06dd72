// The agenda's "Filtrer" box filters the rows as one types (the server does the same on "Appliquer"),
// and the "Événements clôturés" switch reloads at once.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-agenda-filters]");
    var table = document.querySelector("[data-filter-table]");
    if (!form || !table) return;
    var input = form.querySelector("[data-filter-input]");
    var count = document.querySelector("[data-filter-count]");
    input.addEventListener("input", function () {
      var wanted = fold(input.value);
      var shown = 0;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        if (row.cells.length < 5) return;
        var text = fold(Array.prototype.slice.call(row.cells, 0, 4).map(function (c) { return c.textContent; }).join(" "));
        row.hidden = wanted !== "" && text.indexOf(wanted) === -1;
        if (!row.hidden) shown += 1;
      });
      if (count) count.textContent = shown;
    });
    form.querySelectorAll("[data-autosubmit]").forEach(function (box) {
      box.addEventListener("change", function () { form.submit(); });
    });
  });
})();
