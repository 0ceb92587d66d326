// Behaviour every page shares. The Content-Security-Policy allows scripts from our static files
// only, so pages declare what they need in data- attributes instead of inline handlers:
//   <form data-confirm="确定取消这次会议？">  asks before submitting.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
