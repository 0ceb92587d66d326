// The organization picker: an input marked data-org-picker suggests organizations the user may
// see, by name or code, as the user types (a native <datalist>, so it works on phones and with
// the keyboard). The value sent stays the organization's code.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-org-picker]");
  Array.prototype.forEach.call(inputs, function (input, n) {
    var list = document.createElement("datalist");
    list.id = "org-picker-" + n;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.appendChild(list);
    var timer = null, asked = null;
    function fill(results) {
      list.textContent = "";
      results.forEach(function (org) {
        var option = document.createElement("option");
        option.value = org.code;
        option.label = org.name + "（" + org.kind + "）";
        option.textContent = org.name + "（" + org.kind + "）";
        list.appendChild(option);
      });
    }
    function ask() {
      var q = input.value.trim();
      if (q === asked) { return; }
      asked = q;
      fetch(input.dataset.orgPicker + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (asked === q) { fill(data.results || []); } })
        .catch(function () { /* offline or refused: the field still takes a typed code */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    input.addEventListener("focus", ask);
  });
})();
