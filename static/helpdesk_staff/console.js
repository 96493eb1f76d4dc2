// Staff console of the helpdesk: choosing a canned reply inserts its text into the answer at
// once. Without JavaScript the "insert" button does the same through the server.
(function () {
  "use strict";
  const select = document.querySelector("[data-canned-select]");
  if (!select) {
    return;
  }
  const form = select.form;
  const body = form.querySelector("textarea[name=body]");
  const button = form.querySelector("button[name=action][value=insert]");
  if (!body) {
    return;
  }
  if (button) {
    button.hidden = true;
  }
  select.addEventListener("change", function () {
    const option = select.selectedOptions[0];
    const text = option ? option.dataset.body || "" : "";
    if (!text) {
      return;
    }
    const draft = body.value.replace(/\s+$/, "");
    body.value = draft ? draft + "\n\n" + text : text;
    select.value = "";
    body.focus();
  });
})();
