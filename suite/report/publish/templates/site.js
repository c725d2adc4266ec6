// The index's filters: show the runs whose tier, backend, stack and host match every chosen value.
(function () {
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#runs tbody tr"));
  var shown = document.getElementById("shown");
  function apply() {
    var count = 0;
    rows.forEach(function (row) {
      var visible = selects.every(function (select) {
        return !select.value || row.getAttribute("data-" + select.dataset.filter) === select.value;
      });
      row.style.display = visible ? "" : "none";
      if (visible) { count += 1; }
    });
    if (shown) { shown.textContent = count + " of " + rows.length + " runs shown"; }
  }
  selects.forEach(function (select) { select.addEventListener("change", apply); });
  apply();
})();
