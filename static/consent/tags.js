/* Google tags (cll/consent), injected only for a visitor who consented to their category and
 * sends no DNT/GPC signal. Google Consent Mode v2: every consent type defaults to "denied",
 * then is updated from the visitor's choice; only then is gtag.js loaded ("basic" mode: nothing
 * is requested from Google before consent). Google's cookies are host-only, with the lifetimes
 * of our cookie registry (analytics 13 months, advertising 30 days). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var data = script.dataset;
  var DAY = 86400;

  window.dataLayer = window.dataLayer || [];
  function gtag() { window.dataLayer.push(arguments); }
  window.gtag = gtag;

  gtag("consent", "default", {
    ad_storage: "denied",
    ad_user_data: "denied",
    ad_personalization: "denied",
    analytics_storage: "denied",
    functionality_storage: "denied",
    personalization_storage: "denied",
    security_storage: "denied"
  });
  gtag("set", "ads_data_redaction", true);
  gtag("consent", "update", JSON.parse(data.consent || "{}"));
  gtag("js", new Date());

  var signals = data.googleSignals === "1";
  var ids = [];
  if (data.analyticsId) {
    gtag("config", data.analyticsId, {
      cookie_domain: "none",
      cookie_expires: Number(data.gaDays) * DAY,
      allow_google_signals: signals,
      allow_ad_personalization_signals: signals
    });
    ids.push(data.analyticsId);
  }
  [data.adsId, data.floodlightId].forEach(function (id) {
    if (!id) { return; }
    gtag("config", id, { cookie_domain: "none", cookie_expires: Number(data.adsDays) * DAY });
    ids.push(id);
  });
  if (!ids.length) { return; }

  var loader = document.createElement("script");
  loader.async = true;
  loader.src = "https://www.googletagmanager.com/gtag/js?id=" + encodeURIComponent(ids[0]);
  if (script.nonce) { loader.nonce = script.nonce; }
  document.head.appendChild(loader);
})();
