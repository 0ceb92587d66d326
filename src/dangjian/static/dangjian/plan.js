// 调整应到人员: while the boxes are as ticked for a kind, choosing another kind ticks its default
// list; once the planner changed a box, their choice stays. "attendees_kind" tells the server
// which kind the ticks were made for, so an untouched list stays the default.
(function () {
  "use strict";
  var section = document.getElementById("attendees-section");
  if (!section) { return; }
  var kind = section.closest("form").querySelector("select[name=kind]");
  var shown = document.getElementById("attendees-kind");
  var boxes = Array.prototype.slice.call(section.querySelectorAll("input[name=attendees]"));
  function isDefault(box, k) { return (" " + box.dataset.kinds + " ").indexOf(" " + k + " ") >= 0; }
  function count() {
    document.getElementById("attendee-count").textContent = boxes.filter(function (b) { return b.checked; }).length;
  }
  function asDefault(k) { return boxes.every(function (b) { return b.checked === isDefault(b, k); }); }
  function tick(k) {
    boxes.forEach(function (b) { b.checked = isDefault(b, k); });
    shown.value = k;
    count();
  }
  if (kind && asDefault(shown.value) && shown.value !== kind.value) { tick(kind.value); }
  if (kind) { kind.addEventListener("change", function () { if (asDefault(shown.value)) { tick(kind.value); } }); }
  boxes.forEach(function (b) { b.addEventListener("change", count); });
  document.getElementById("attendees-default").addEventListener("click", function () { tick(kind ? kind.value : shown.value); });
  document.getElementById("attendees-none").addEventListener("click", function () {
    boxes.forEach(function (b) { b.checked = false; });
    count();
  });
})();
