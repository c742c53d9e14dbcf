// Keyboard shortcuts for the review page; everything also works without JavaScript.
(function () {
  "use strict";
  const form = document.getElementById("decide");
  function submit(action) {
    if (!form) return;
    const button = form.querySelector('button[value="' + action + '"]');
    if (button) form.requestSubmit(button);
  }
  function follow(id) {
    const link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }
  document.addEventListener("keydown", function (event) {
    const typing = event.target.closest("textarea, input, select");
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      submit("edit");
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape" && typing) typing.blur();
      return;
    }
    const actions = {
      a: function () { submit("accept"); },
      r: function () { submit("reject"); },
      n: function () { follow("next"); },
      j: function () { follow("next"); },
      p: function () { follow("prev"); },
      k: function () { follow("prev"); },
      q: function () { follow("to-queue"); },
      e: function () { const t = document.getElementById("target"); if (t) t.focus(); },
    };
    if (actions[event.key]) {
      event.preventDefault();
      actions[event.key]();
    }
  });
})();
