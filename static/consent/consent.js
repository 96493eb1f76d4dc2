/* Cookie banner and settings (cll/consent): progressive enhancement of plain forms.
 * Without JavaScript every form still works (POST, then back to the page).
 * - "Choose" first opens the per-category choices, then saves them;
 * - refusing a category also removes its cookies from parent domains (the server expires ours);
 * - a DNT/GPC signal the banner honours is recorded once as an objection. */
(function () {
  "use strict";

  var PREFIXES = { analytics: ["_ga"], advertising: ["_gcl_"] };

  function expire(name) {
    var parts = window.location.hostname.split(".");
    var domains = [""];
    for (var i = 0; i < parts.length - 1; i += 1) {
      domains.push("; domain=." + parts.slice(i).join("."));
    }
    domains.forEach(function (domain) {
      document.cookie = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/" + domain;
    });
  }

  function removeCookiesOf(category) {
    var prefixes = PREFIXES[category] || [];
    document.cookie.split(";").forEach(function (pair) {
      var name = pair.split("=")[0].trim();
      if (prefixes.some(function (prefix) { return name.indexOf(prefix) === 0; })) {
        expire(name);
      }
    });
  }

  function refusedOnSubmit(form, action) {
    if (action === "accept_all") { return []; }
    if (action === "reject_all" || action === "withdraw") { return ["analytics", "advertising"]; }
    var refused = [];
    ["analytics", "advertising"].forEach(function (category) {
      var box = form.querySelector('input[name="categories"][value="' + category + '"]');
      if (!box || !box.checked) { refused.push(category); }
    });
    return refused;
  }

  function enhanceForms() {
    document.querySelectorAll("form[data-consent-form], .consent-banner__form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        var action = submitter && submitter.name === "action" ? submitter.value : "";
        refusedOnSubmit(form, action).forEach(removeCookiesOf);
      });
    });
  }

  function enhanceBanner() {
    var banner = document.querySelector("[data-consent-banner]");
    if (!banner) { return; }
    var choices = banner.querySelector("[data-consent-choices]");
    var choose = banner.querySelector("[data-consent-choose]");
    if (!choices || !choose) { return; }
    choices.hidden = true;
    choose.setAttribute("aria-expanded", "false");
    choose.addEventListener("click", function (event) {
      if (!choices.hidden) { return; } // second press: submit the choice
      event.preventDefault();
      choices.hidden = false;
      choose.setAttribute("aria-expanded", "true");
      choose.textContent = choose.getAttribute("data-save-label");
      var first = choices.querySelector('input[name="categories"]');
      if (first) { first.focus(); }
    });
  }

  function recordSignal() {
    var marker = document.querySelector("[data-consent-signal]");
    if (!marker || !window.fetch) { return; }
    window.fetch(marker.getAttribute("data-consent-signal"), {
      method: "POST",
      credentials: "same-origin",
      keepalive: true
    }).catch(function () { /* recorded with the next choice instead */ });
  }

  function start() {
    enhanceBanner();
    enhanceForms();
    recordSignal();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
