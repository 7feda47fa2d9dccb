// Live refresh (the trials list): poll the runs folder's state and reload when a trial is recorded or one still
// running gets further; filters apply on change.
(function () {
  "use strict";
  var body = document.body;
  var seen = body.getAttribute("data-signature");
  var every = parseInt(body.getAttribute("data-refresh"), 10) || 3000;
  var stateUrl = body.getAttribute("data-state");
  var live = document.getElementById("live");
  if (live) {
    live.checked = window.localStorage.getItem("benchsmith-live") !== "off";
    live.addEventListener("change", function () {
      window.localStorage.setItem("benchsmith-live", live.checked ? "on" : "off");
    });
  }
  function poll() {
    if (live && !live.checked) { return; }
    fetch(stateUrl, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.signature !== seen) { window.location.reload(); }
      })
      .catch(function () { /* the viewer stopped: keep the page as it is */ });
  }
  if (stateUrl) { window.setInterval(poll, every); }
  var form = document.querySelector("form.filters");
  if (form) {
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
  }
})();
