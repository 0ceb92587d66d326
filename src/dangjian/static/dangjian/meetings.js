// The record page: keep 应到/实到, 缺席及原因 and the quorum line in step with the sheet.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(form.querySelectorAll(".att-row"));

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value; }
  }

  function update() {
    var present = 0, leave = 0, absent = 0, votingPresent = 0, notes = [];
    rows.forEach(function (row) {
      var checked = row.querySelector("input[type=radio]:checked");
      var value = checked ? checked.value : "present";
      var reason = (row.querySelector("input.reason") || {}).value || "";
      if (value === "on_leave") {
        leave += 1;
        notes.push(row.dataset.name + "（请假" + (reason ? "：" + reason : "") + "）");
      } else if (value === "absent") {
        absent += 1;
        notes.push(row.dataset.name + "（缺席" + (reason ? "：" + reason : "") + "）");
      } else {
        present += 1;
        if (row.dataset.voting === "1") { votingPresent += 1; }
      }
    });
    text("count-present", present);
    text("count-leave", leave);
    text("count-absent", absent);
    text("minutes-counts", "应到 " + rows.length + " 人，实到 " + present + " 人");
    text("absent-summary", notes.length ? notes.join("；") : "无");
    text("count-voting-present", votingPresent);
    var state = document.getElementById("quorum-state");
    if (state) {
      var ok = votingPresent >= Number(state.dataset.needed);
      state.textContent = ok ? "可以表决" : "不足半数，不能表决";
      state.className = ok ? "text-success" : "text-danger fw-bold";
    }
  }

  form.addEventListener("change", update);
  // 请假 or 缺席 asks for a reason: put the cursor there so the secretary types at once.
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio" || input.value === "present") { return; }
    var row = input.closest(".att-row");
    var reason = row && row.querySelector("input.reason");
    if (reason && !reason.value) { reason.focus(); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("reason")) { update(); }
  });
  update();
})();
