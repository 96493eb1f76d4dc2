/* CLL website: progressive enhancement only. Without this file every page still works:
   the menu simply stays open on small screens. */
(function () {
  "use strict";

  var toggle = document.querySelector("[data-nav-toggle]");
  if (!toggle) {
    return;
  }
  var menu = document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }

  document.documentElement.classList.add("js");
  toggle.hidden = false;
  setOpen(false);

  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });

  // Escape closes the open menu and returns focus to the button that opened it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
