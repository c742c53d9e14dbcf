// Keyboard shortcuts for the review pages; everything also works without JavaScript.
// Every decision a key makes can be taken back with "u" (undo the last decision).
(function () {
  "use strict";
  const form = document.getElementById("decide");
  // The address never keeps the token: the server's redirect drops it; this drops it from the entry too.
  if (/[?&]token=/.test(window.location.search)) {
    const clean = new URL(window.location.href);
    clean.searchParams.delete("token");
    window.history.replaceState(null, "", clean.pathname + clean.search + clean.hash);
  }
  // What the reviewer types is kept in this browser until the server says it saved it: a refused save,
  // a restarted server or a closed tab never loses it (the page offers it back).
  const DRAFT = "amts-draft:";
  const saved = document.getElementById("saved");
  if (saved && saved.dataset.saved) {
    saved.dataset.saved.split(" ").forEach(function (id) { window.localStorage.removeItem(DRAFT + window.location.port + ":" + id); });
  }
  const box = document.getElementById("target");
  const itemId = form && form.dataset.item;
  if (box && itemId) {
    const key = DRAFT + window.location.port + ":" + itemId;
    const draft = window.localStorage.getItem(key);
    const refused = document.getElementById("edit-error") || document.getElementById("conflict");
    if (refused) {
      window.localStorage.setItem(key, box.value);  // the server shows the refused text: that is the draft now
    } else if (draft !== null && draft !== box.value) {
      const note = document.getElementById("draft-note");
      box.value = draft;
      if (note) note.hidden = false;
    }
    box.addEventListener("input", function () { window.localStorage.setItem(key, box.value); });
    const discard = document.getElementById("draft-discard");
    if (discard) {
      discard.addEventListener("click", function () {
        window.localStorage.removeItem(key);
        window.location.reload();
      });
    }
  }
  function submit(action) {
    if (!form) return;
    const button = form.querySelector('button[name="action"][value="' + action + '"]');
    if (button) form.requestSubmit(button);
  }
  function click(selector) {
    const element = document.querySelector(selector);
    if (element) element.click();
  }
  function follow(id) {
    const link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }
  function undo() {
    // right after a decision: take that one back; on a decided segment: its decision; else the last one
    const here = document.getElementById("undo");
    if (here && !document.getElementById("undo-flash")) {
      here.click();
      return;
    }
    const global = document.getElementById("undo-form");
    if (global) global.requestSubmit();
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
      m: function () { submit("merge"); },
      u: undo,
      n: function () { follow("next"); },
      j: function () { follow("next"); },
      p: function () { follow("prev"); },
      k: function () { follow("prev"); },
      q: function () { follow("to-queue"); },
      e: function () { const t = document.getElementById("target"); if (t) t.focus(); },
      "1": function () { click('.use-match[data-key="1"]'); },
      "2": function () { click('.use-match[data-key="2"]'); },
      "3": function () { click('.use-match[data-key="3"]'); },
    };
    if (actions[event.key]) {
      event.preventDefault();
      actions[event.key]();
    }
  });
})();
