/* Small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  var lang = document.documentElement.lang === "en" ? "en" : "fr";
  var text = {
    fr: {
      copied: "Lien copié.",
      copyFailed: "Copie impossible : sélectionnez le lien et copiez-le.",
      found: function (n) { return n === 0 ? "Aucune commune trouvée." : n === 1 ? "1 commune trouvée." : n + " communes trouvées."; },
      foundAny: function (n) { return n === 0 ? "Aucun territoire trouvé." : n === 1 ? "1 territoire trouvé." : n + " territoires trouvés."; }
    },
    en: {
      copied: "Link copied.",
      copyFailed: "Could not copy: select the link and copy it.",
      found: function (n) { return n === 0 ? "No municipality found." : n === 1 ? "1 municipality found." : n + " municipalities found."; },
      foundAny: function (n) { return n === 0 ? "No territory found." : n === 1 ? "1 territory found." : n + " territories found."; }
    }
  }[lang];

  /* Move focus to the error summary so that it is read first. */
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  /* Copy buttons. */
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector('[data-copy-status="' + button.getAttribute("data-copy") + '"]');
    if (!input || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) { status.textContent = text.copied; }
      }, function () {
        input.select();
        if (status) { status.textContent = text.copyFailed; }
      });
    });
  });

  /* show_if: hide a question while its condition on an answer of the same page does not hold. */
  function chosenValues(form, name) {
    return Array.prototype.map.call(
      form.querySelectorAll('input[name="' + name + '"]:checked'), function (input) { return input.value; });
  }
  var conditional = document.querySelectorAll("[data-show-if]");
  function refreshConditions() {
    conditional.forEach(function (block) {
      var condition = JSON.parse(block.getAttribute("data-show-if"));
      var form = block.closest("form");
      var source = form && form.querySelector('[name="item_' + condition.question + '"]');
      if (!source) { return; }  /* condition on an earlier page: the server decided */
      var sourceBlock = document.getElementById("q-" + condition.question);
      var values = sourceBlock && sourceBlock.hidden ? [] : chosenValues(form, "item_" + condition.question);
      values = values.filter(function (v) { return v !== "nsp"; });
      var listed = (condition["in"] || condition.not_in).map(String);
      var hit = values.some(function (v) { return listed.indexOf(v) !== -1; });
      var holds = values.length > 0 && (condition["in"] ? hit : !hit);
      block.hidden = !holds;
    });
  }
  if (conditional.length) {
    document.addEventListener("change", refreshConditions);
    refreshConditions();
  }

  /* Ranking: at most N boxes; « ne sait pas » exclusive of the other boxes. */
  document.querySelectorAll("[data-max-choices]").forEach(function (group) {
    var max = parseInt(group.getAttribute("data-max-choices"), 10);
    var boxes = group.querySelectorAll('input[type="checkbox"]:not([value="nsp"])');
    function update() {
      var count = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
      boxes.forEach(function (b) { b.disabled = !b.checked && count >= max; });
    }
    group.addEventListener("change", update);
    update();
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "checkbox" || !input.checked) { return; }
    var group = input.closest("fieldset");
    if (!group) { return; }
    group.querySelectorAll('input[type="checkbox"][name="' + input.name + '"]').forEach(function (other) {
      if (other === input) { return; }
      if (input.value === "nsp" || other.value === "nsp") { other.checked = false; other.disabled = false; }
    });
  });

  /* Territory: suggestions as the respondent types (the Search button does the same without JS). */
  document.querySelectorAll("[data-territory-search]").forEach(function (block) {
    var url = block.getAttribute("data-territory-search");
    var name = block.getAttribute("data-field");
    var input = block.querySelector('input[type="search"]');
    var fieldset = block.querySelector(".territory-choices");
    var options = block.querySelector("[data-territory-options]");
    var status = block.querySelector("[data-territory-status]");
    var timer = null;
    var last = "";
    function render(matches) {
      options.textContent = "";
      matches.forEach(function (match) {
        var label = document.createElement("label");
        label.className = "option";
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = name;
        radio.value = match.key;
        var span = document.createElement("span");
        span.textContent = match.label;
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" "));
        label.appendChild(span);
        options.appendChild(label);
      });
      fieldset.hidden = matches.length === 0;
      status.textContent = (url.indexOf("levels=") === -1 ? text.found : text.foundAny)(matches.length);
    }
    function suggest() {
      var query = input.value.trim();
      clearTimeout(timer);
      if (query.length < 2 || query === last) { return; }
      timer = setTimeout(function () {
        last = query;
        var address = url + (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(query);
        fetch(address, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (matches) { if (input.value.trim() === query) { render(matches); } })
          .catch(function () {});
      }, 250);
    }
    input.addEventListener("input", suggest);
    /* Text typed (or restored by the browser) before this script ran. */
    if (input.value.trim().length >= 2) { suggest(); }
    /* Once a commune is picked, the radio button says it all: the search text is cleared. */
    options.addEventListener("change", function () { input.value = ""; last = ""; });
  });
  /* Live workshop, projector: replace the live part every 2 s (or as set). Errors (a laptop
     waking up, a worker restarting) are ignored: the next tick tries again. */
  var live = document.querySelector("[data-live-url]");
  if (live) {
    var liveUrl = live.getAttribute("data-live-url");
    var every = parseInt(live.getAttribute("data-live-interval"), 10) || 2000;
    var shown = null;
    var refreshLive = function () {
      fetch(liveUrl, { headers: { Accept: "text/html" }, cache: "no-store", credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          /* Replaced only when it changed: a screen reader reads what is new, not the same again. */
          if (html !== null && html !== shown) { live.innerHTML = html; shown = html; }
        })
        .catch(function () {})
        .then(function () { setTimeout(refreshLive, every); });
    };
    setTimeout(refreshLive, every);
  }

  /* Live workshop, phones: follow the facilitator (answering paused or open, the room's
     question in step-by-step mode) by polling the workshop's state. */
  var follow = document.querySelector("[data-workshop-state]");
  if (follow) {
    var stateUrl = follow.getAttribute("data-workshop-state");
    var question = follow.getAttribute("data-workshop-question");
    var status = follow.getAttribute("data-workshop-status");
    var poll = function () {
      fetch(stateUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (!state) { return; }
          var moved = state.question !== null && state.question !== question;
          var changed = state.status !== status;
          if (changed || moved) {
            window.location.reload();
          }
        })
        .catch(function () {})
        .then(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 2000);
  }
})();
