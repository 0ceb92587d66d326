// Behaviour every page shares. The Content-Security-Policy allows scripts from our static files
// only, so pages declare what they need in data- attributes instead of inline handlers:
//   <form data-confirm="确定取消这次会议？">  asks before submitting.
//   <div id="idle-warning" data-idle-seconds="1800">  warns before the idle timeout logs out.
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

// The idle warning: the server ends a session after data-idle-seconds without a request. A
// secretary typing minutes sends none, and would lose them on submitting; so shortly before,
// the page says so and offers 继续使用 (one POST, which starts the server's clock again).
// Any htmx request a person makes starts it again too; a poll does not. Once over, the page
// says what to do with the text.
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box || !window.fetch) return;
  var idle = parseInt(box.getAttribute("data-idle-seconds"), 10);
  if (!(idle > 0)) return;
  var lead = Math.min(180, Math.floor(idle / 3));
  var soon = box.querySelector("[data-idle-soon]");
  var over = box.querySelector("[data-idle-over]");
  var button = box.querySelector("[data-idle-continue]");
  var last = Date.now();
  var ended = false;

  function token() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }
  function end() {
    ended = true;
    soon.hidden = true;
    button.hidden = true;
    over.hidden = false;
    box.hidden = false;
  }
  function check() {
    if (ended) return;
    var left = idle - (Date.now() - last) / 1000;
    if (left <= 0) {
      end();
    } else if (left <= lead) {
      soon.textContent = "长时间未操作，约 " + Math.max(1, Math.ceil(left / 60)) +
        " 分钟后将自动退出登录，未提交的内容会丢失。";
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }
  function seen() {
    if (ended) return;
    last = Date.now();
    check();
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    if (!detail || !detail.successful) return;
    // A poll (hx-headers X-Dangjian-Poll: the check-in screen's code, a status) is not a
    // person: the server does not count it, so neither does the page.
    var headers = detail.requestConfig && detail.requestConfig.headers;
    if (headers && headers["X-Dangjian-Poll"] === "1") return;
    seen();
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(box.getAttribute("data-still-here"), {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {"X-CSRFToken": token()}
    }).then(function (response) {
      // 204: the clock starts again. A redirect (to the login page): the session had ended.
      if (response.status === 204) seen(); else end();
    }).catch(function () {
      // The network: keep the warning; the button can be pressed again.
    }).then(function () {
      button.disabled = false;
    });
  });
  setInterval(check, Math.min(5000, lead * 500));
})();
