// The abstract on a material's page: clamped to a few lines, 展开>> shows all of it, 收起<<
// folds it again. Loaded as a file (no inline script), so a CSP without inline scripts holds.
(function () {
  "use strict";
  function setUp() {
    var box = document.getElementById("abstract");
    var toggle = document.getElementById("abstract-toggle");
    if (!box || !toggle) {
      return;
    }
    box.classList.add("collapsed");
    // Only a text longer than the clamp needs the button.
    if (box.scrollHeight <= box.clientHeight + 2) {
      box.classList.remove("collapsed");
      return;
    }
    toggle.hidden = false;
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", "abstract");
    toggle.addEventListener("click", function () {
      var collapsed = box.classList.toggle("collapsed");
      toggle.textContent = collapsed ? toggle.dataset.more : toggle.dataset.less;
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
