/*!
 * Calx chat widget: embeds the Calx history-taking chat in any page.
 *
 *   <script src="https://calx.example/widget/calx-widget.js" defer></script>
 *
 * Optional configuration (any of): a JSON block named by data-config, data-* attributes
 * on the script tag (data-server-url, data-title, data-open), or window.CalxWidgetConfig:
 *   { serverUrl, socketPath, title, open, container, storage: "session" | "local",
 *     lang, privacyUrl, urgentLinks: [{label, href}],
 *     colors: {primary, primaryText, background, text, botBubble, botText, urgent},
 *     strings: {...any key of STRINGS below} }
 * The stylesheet and socket.io-client are loaded from next to this file: nothing comes
 * from the internet. The widget talks to the Rasa server's socket.io channel (Calx's
 * bot.channels.socketio) and keeps the session id in sessionStorage, so a reload resumes.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var BASE = script && script.src ? script.src.replace(/[^/]*(\?.*)?$/, "") : "/widget/";

  var STRINGS = {
    launcher: "Questions about skin lumps",
    title: "Calx",
    subtitle: "Questions for your care team",
    close: "Close chat",
    startOver: "Start over",
    startOverConfirm: "Clear your answers and start again?",
    startOverYes: "Yes, start over",
    cancel: "Cancel",
    inputLabel: "Your answer",
    placeholder: "Type your answer…",
    send: "Send",
    chooseOneOrMore: "Choose one or more, then press Send. You can also type.",
    bodyMapHint: "Tap the places on the body, or tick them below.",
    yourAnswers: "Your answers",
    changeAnswer: "Change {label}: {answer}",
    typing: "Calx is typing…",
    you: "You",
    bot: "Calx",
    progress: "About {n} questions left",
    progressOne: "About 1 question left",
    privacy: "Your answers are stored for your care team only. This chat does not give a diagnosis.",
    privacyLink: "Privacy notice",
    urgentTitle: "Please get help now",
    urgentDefault: "If this is an emergency, call your local emergency number.",
    urgentShow: "Show the advice again",
    urgentHide: "Hide the advice",
    finished: "The questions are finished. Thank you.",
    connecting: "Connecting…",
    offline: "Connection lost. Trying again…",
    log: "Conversation",
    answers: "Quick answers"
  };

  function readConfig() {
    var config = {};
    var fromWindow = window.CalxWidgetConfig;
    var id = script && script.getAttribute("data-config");
    var block = id && document.getElementById(id);
    if (block) {
      try { config = JSON.parse(block.textContent || "{}"); } catch (e) { config = {}; }
    }
    if (fromWindow && typeof fromWindow === "object") {
      for (var key in fromWindow) { config[key] = fromWindow[key]; }
    }
    if (script) {
      if (script.getAttribute("data-server-url")) { config.serverUrl = script.getAttribute("data-server-url"); }
      if (script.getAttribute("data-title")) { config.title = script.getAttribute("data-title"); }
      if (script.getAttribute("data-open") === "true") { config.open = true; }
    }
    return config;
  }

  var config = readConfig();
  var strings = {};
  Object.keys(STRINGS).forEach(function (k) { strings[k] = STRINGS[k]; });
  if (config.title) { strings.launcher = config.title; }
  if (config.strings) { Object.keys(config.strings).forEach(function (k) { strings[k] = String(config.strings[k]); }); }
  var serverUrl = (config.serverUrl || window.location.protocol + "//" + window.location.hostname + ":5005").replace(/\/$/, "");
  var store = config.storage === "local" ? window.localStorage : window.sessionStorage;
  var KEY = "calx-session:" + serverUrl;
  var OPEN_KEY = "calx-open:" + serverUrl;
  var PROGRESS_KEY = "calx-progress:" + serverUrl;
  var URGENT_KEY = "calx-urgent-read:" + serverUrl;

  function safeHref(href) {
    return /^(https?:|tel:|mailto:|\/|#)/i.test(String(href || "")) ? String(href) : null;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = value; }
      else if (name === "class") { node.className = value; }
      else { node.setAttribute(name, value === true ? "" : String(value)); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function loadCss() {
    if (document.querySelector("link[data-calx-widget]")) { return; }
    var link = el("link", { rel: "stylesheet", href: BASE + "calx-widget.css", "data-calx-widget": "" });
    document.head.appendChild(link);
  }

  function loadSocketIo(done) {
    if (window.io) { done(); return; }
    var tag = el("script", { src: BASE + "vendor/socket.io.min.js" });
    tag.onload = done;
    document.head.appendChild(tag);
  }

  function applyColors(root) {
    var colors = config.colors || {};
    var map = { primary: "--calx-primary", primaryText: "--calx-primary-text", background: "--calx-bg",
      text: "--calx-text", botBubble: "--calx-bot-bg", botText: "--calx-bot-text", urgent: "--calx-urgent" };
    Object.keys(map).forEach(function (k) {
      if (colors[k] && /^#[0-9a-f]{3,8}$|^rgb/i.test(colors[k])) { root.style.setProperty(map[k], colors[k]); }
    });
  }

  // -- the DOM ----------------------------------------------------------------------------------

  var ui = {};

  function build() {
    var inline = config.container && document.querySelector(config.container);
    var root = el("div", { class: "calx-widget" + (inline ? " calx-inline" : " calx-floating"), lang: config.lang || null });
    applyColors(root);
    ui.root = root;

    ui.launcher = inline ? null : el("button", {
      type: "button", class: "calx-launcher", "aria-expanded": "false", "aria-controls": "calx-panel", text: strings.launcher
    });

    ui.progress = el("p", { class: "calx-progress", hidden: true });
    ui.startOver = el("button", { type: "button", class: "calx-link-button", text: strings.startOver });
    ui.close = inline ? null : el("button", { type: "button", class: "calx-close", "aria-label": strings.close, text: "×" });
    var header = el("div", { class: "calx-header" }, [
      el("div", { class: "calx-heading" }, [
        el("h2", { class: "calx-title", id: "calx-title", text: strings.title }),
        el("p", { class: "calx-subtitle", text: strings.subtitle })
      ]),
      el("div", { class: "calx-header-actions" }, [ui.startOver, ui.close])
    ]);

    var privacyChildren = [document.createTextNode(strings.privacy + " ")];
    var privacyHref = safeHref(config.privacyUrl);
    if (privacyHref) { privacyChildren.push(el("a", { href: privacyHref, text: strings.privacyLink })); }
    ui.privacy = el("p", { class: "calx-privacy" }, privacyChildren);

    ui.confirm = el("div", { class: "calx-confirm", hidden: true, role: "group", "aria-label": strings.startOver }, [
      el("p", { text: strings.startOverConfirm }),
      el("button", { type: "button", class: "calx-option calx-danger", "data-action": "start-over", text: strings.startOverYes }),
      el("button", { type: "button", class: "calx-option", "data-action": "cancel", text: strings.cancel })
    ]);

    ui.urgent = el("div", { class: "calx-urgent", role: "alert", tabindex: "0", hidden: true });
    ui.log = el("div", { class: "calx-log", role: "log", "aria-live": "polite", "aria-label": strings.log, tabindex: "0" });
    ui.typing = el("p", { class: "calx-typing", role: "status" });
    ui.status = el("p", { class: "calx-status", role: "status" });
    ui.options = el("div", { class: "calx-options", role: "group", "aria-label": strings.answers, hidden: true });

    ui.input = el("textarea", { id: "calx-input", class: "calx-input", rows: "1", placeholder: strings.placeholder, autocomplete: "off" });
    ui.send = el("button", { type: "submit", class: "calx-send", text: strings.send });
    ui.form = el("form", { class: "calx-form" }, [
      el("label", { for: "calx-input", class: "calx-visually-hidden", text: strings.inputLabel }),
      ui.input, ui.send
    ]);

    ui.panel = el("div", {
      id: "calx-panel", class: "calx-panel", role: "region", "aria-labelledby": "calx-title", hidden: inline ? null : true
    }, [header, ui.progress, ui.confirm, ui.urgent, ui.log, ui.typing, ui.status, ui.options, ui.form, ui.privacy]);

    if (ui.launcher) { root.appendChild(ui.launcher); }
    root.appendChild(ui.panel);
    (inline || document.body).appendChild(root);
    wire(!!inline);
  }

  function wire(inline) {
    if (ui.launcher) {
      ui.launcher.addEventListener("click", function () { setOpen(ui.panel.hidden, true); });
    }
    if (ui.close) { ui.close.addEventListener("click", function () { setOpen(false, true); }); }
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !inline) { setOpen(false, true); }
    });
    ui.startOver.addEventListener("click", function () {
      ui.confirm.hidden = false;
      ui.confirm.querySelector("[data-action=cancel]").focus();
    });
    ui.confirm.addEventListener("click", function (event) {
      var action = event.target && event.target.getAttribute("data-action");
      if (!action) { return; }
      ui.confirm.hidden = true;
      if (action === "start-over") { sendText(strings.startOver, "option"); }
      else { focusAnswer(true); }
    });
    // One Send for everything: the ticked options (the list or the body map) and any words.
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var ticked = Array.prototype.map.call(
        ui.options.querySelectorAll(".calx-multi input:checked"), function (c) { return c.value; });
      var text = ticked.concat(ui.input.value.trim() ? [ui.input.value.trim()] : []).join(", ");
      if (!text) {
        var first = ui.options.querySelector(".calx-multi input");
        if (first) { first.focus(); }
        return;
      }
      var typed = !!ui.input.value.trim();
      ui.input.value = "";
      autosize();
      sendText(text, typed ? "text" : "option");
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ui.form.requestSubmit ? ui.form.requestSubmit() : ui.send.click();
      }
    });
    ui.input.addEventListener("input", autosize);
    // Focus sits on the first answer of a new question; typing there goes to the text box.
    ui.options.addEventListener("keydown", function (event) {
      if (event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.metaKey && !event.altKey) {
        ui.input.focus();  // the key's character then lands in the text box
      }
    });
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, 160) + "px";
  }

  function setOpen(open, moveFocus) {
    if (!ui.launcher) { return; }
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    ui.root.classList.toggle("calx-open", open);
    try { store.setItem(OPEN_KEY, open ? "1" : "0"); } catch (e) { /* storage may be off */ }
    if (open) { connect(); }
    if (moveFocus && !open) { ui.launcher.focus(); }
    if (moveFocus && open) { focusAnswer(true); }
  }

  // -- messages ---------------------------------------------------------------------------------

  function addMessage(from, text) {
    var item = el("div", { class: "calx-message calx-" + from }, [
      el("span", { class: "calx-visually-hidden", text: (from === "user" ? strings.you : strings.bot) + ": " }),
      el("span", { class: "calx-bubble", text: text })
    ]);
    ui.log.appendChild(item);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function setTyping(on) {
    ui.typing.textContent = on ? strings.typing : "";
    ui.typing.classList.toggle("calx-active", !!on);
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function focusWasIn(node) {
    return node.contains(document.activeElement);
  }

  function clearOptions() {
    var hadFocus = focusWasIn(ui.options);
    ui.options.textContent = "";
    ui.options.hidden = true;
    if (hadFocus) { ui.log.focus({ preventScroll: true }); }  // until the next answers come
  }

  // Where focus goes when a question is shown: the way the person answered last. After a
  // tap or a key on an answer, the first answer of the next question (Tab then follows
  // what is seen: the answers, the text box, Send); after typing, the text box. Focus is
  // moved only while it is in the chat, and the text box is never focused on a phone by
  // itself (its keyboard would cover the answers).
  var answeredBy = "option";

  function focusAnswer(opening) {
    if (!opening && !focusWasIn(ui.panel)) { return; }
    var first = ui.options.hidden ? null : ui.options.querySelector("button, input");
    if (answeredBy === "option" && first) { first.focus(); return; }
    if (document.activeElement === ui.input) { return; }
    if (answeredBy === "text" || !window.matchMedia("(pointer: coarse)").matches) { ui.input.focus(); }
    else { ui.log.focus({ preventScroll: true }); }
  }

  function optionButton(label, payload) {
    var button = el("button", { type: "button", class: "calx-option", text: label });
    button.addEventListener("click", function () { sendText(payload, "option"); });
    return button;
  }

  // The read-back as a card: the answers by topic, each a button that goes back to its
  // question (bot/interview/readback.py card), below the Yes / No of "is that all correct?".
  function readbackCard(groups) {
    var section = el("section", { class: "calx-card", "aria-label": strings.yourAnswers });
    groups.forEach(function (group) {
      section.appendChild(el("h3", { class: "calx-card-title", text: group.title }));
      var list = el("ul", { class: "calx-card-items" });
      group.items.forEach(function (item) {
        var button = el("button", {
          type: "button", class: "calx-card-answer",
          "aria-label": format(strings.changeAnswer, { label: item.label, answer: item.answer })
        }, [el("span", { class: "calx-card-label", text: item.label + ": " }),
            el("span", { class: "calx-card-value", text: item.answer })]);
        button.addEventListener("click", function () { sendText(item.payload, "option"); });
        list.appendChild(el("li", {}, [button]));
      });
      section.appendChild(list);
    });
    return section;
  }

  function showChoices(options, card) {
    ui.options.textContent = "";
    options.forEach(function (o) { ui.options.appendChild(optionButton(o.label, o.payload)); });
    if (card && card.length) { ui.options.appendChild(readbackCard(card)); }  // below Yes / No
    ui.options.hidden = options.length === 0;
  }

  // The body map (bot/export/bodymap.py): each region a checkbox toggle kept in step with
  // the list's checkbox of the same value; the list stays, for whoever prefers it.
  function bodyMap(svgText, fieldset) {
    var parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
    var root = parsed.documentElement;
    if (!root || root.nodeName.toLowerCase() !== "svg") { return null; }
    var svg = document.importNode(root, true);
    var sites = Array.prototype.slice.call(svg.querySelectorAll(".calx-site"));
    function boxFor(site) {
      return fieldset.querySelector('input[data-value="' + site.getAttribute("data-value") + '"]');
    }
    function sync() {
      sites.forEach(function (site) {
        var box = boxFor(site);
        site.setAttribute("aria-checked", box && box.checked ? "true" : "false");
      });
    }
    function toggle(site) {
      var box = boxFor(site);
      if (box) { box.checked = !box.checked; sync(); }
    }
    sites.forEach(function (site) {
      if (!boxFor(site)) { site.parentNode.removeChild(site); return; }
      site.addEventListener("click", function () { toggle(site); });
      site.addEventListener("keydown", function (event) {
        if (event.key === " " || event.key === "Enter") { event.preventDefault(); toggle(site); }
      });
    });
    fieldset.addEventListener("change", sync);
    sync();
    return el("div", { class: "calx-bodymap" }, [el("p", { class: "calx-hint", text: strings.bodyMapHint }), svg]);
  }

  function showMulti(options, map) {
    ui.options.textContent = "";
    var boxes = options.filter(function (o) { return o.value !== "unknown"; });
    var others = options.filter(function (o) { return o.value === "unknown"; });
    var fieldset = el("fieldset", { class: "calx-multi" }, [el("legend", { text: strings.chooseOneOrMore })]);
    boxes.forEach(function (o, i) {
      var id = "calx-choice-" + i;
      fieldset.appendChild(el("div", { class: "calx-check" }, [
        el("input", { type: "checkbox", id: id, value: o.payload, "data-value": o.value }),
        el("label", { for: id, text: o.label })
      ]));
    });
    var drawn = typeof map === "string" ? bodyMap(map, fieldset) : null;
    if (drawn) { fieldset.insertBefore(drawn, fieldset.children[1] || null); }
    ui.options.appendChild(fieldset);
    others.forEach(function (o) { ui.options.appendChild(optionButton(o.label, o.payload)); });
    ui.options.hidden = false;
  }

  // The urgent box shows all its advice. Once the person has answered with it in view, it
  // folds to a pinned line (its title and the emergency link) with a button that unfolds
  // it; new advice unfolds it again. An emergency (code "emergency") never folds.
  function urgentKey(flags) {
    return (flags || []).map(function (f) { return f.code; }).join(" ");
  }

  function urgentRead() {
    try { return store.getItem(URGENT_KEY); } catch (e) { return null; }
  }

  function markUrgentRead() {
    if (ui.urgent.hidden || !ui.urgent.getAttribute("data-key")) { return; }
    try { store.setItem(URGENT_KEY, ui.urgent.getAttribute("data-key")); } catch (e) { /* storage off */ }
  }

  function setFolded(folded) {
    ui.urgent.classList.toggle("calx-folded", folded);
    var toggle = ui.urgent.querySelector(".calx-urgent-toggle");
    if (toggle) {
      toggle.textContent = folded ? strings.urgentShow : strings.urgentHide;
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    }
  }

  function showUrgent(flags) {
    ui.urgent.textContent = "";
    if (!flags || !flags.length) { ui.urgent.hidden = true; ui.urgent.removeAttribute("data-key"); return; }
    var key = urgentKey(flags);
    var emergencyNow = flags.some(function (f) { return f.code === "emergency"; });
    ui.urgent.setAttribute("data-key", emergencyNow ? "" : key);
    ui.urgent.appendChild(el("h3", { text: strings.urgentTitle }));
    // the links first: in a small window they must not scroll out of sight
    var links = (config.urgentLinks || []).filter(function (l) { return safeHref(l.href); });
    if (links.length) {
      var list = el("ul", {});
      links.forEach(function (l) {
        list.appendChild(el("li", {}, [el("a", { href: safeHref(l.href), class: "calx-urgent-link", text: l.label })]));
      });
      ui.urgent.appendChild(list);
    } else {
      ui.urgent.appendChild(el("p", { text: strings.urgentDefault }));
    }
    var advice = el("div", { class: "calx-urgent-body", id: "calx-urgent-body" });
    flags.forEach(function (f) { advice.appendChild(el("p", { class: "calx-urgent-advice", text: f.advice })); });
    ui.urgent.appendChild(advice);
    if (!emergencyNow) {
      var toggle = el("button", { type: "button", class: "calx-link-button calx-urgent-toggle", "aria-controls": "calx-urgent-body" });
      toggle.addEventListener("click", function () { setFolded(!ui.urgent.classList.contains("calx-folded")); });
      ui.urgent.appendChild(toggle);
    }
    setFolded(!emergencyNow && urgentRead() === key);
    ui.urgent.hidden = false;
  }

  // The engine's estimate of the questions left moves as answers change the differential;
  // shown as it is, it jumps (19, then 5) and goes back up. Shown smoothed: never more than
  // the last number shown, and down by at most one per answer given since (kept per session).
  function smoothedLeft(estimate) {
    var answers = ui.log.querySelectorAll(".calx-user").length;
    var last = null;
    try { last = JSON.parse(store.getItem(PROGRESS_KEY) || "null"); } catch (e) { last = null; }
    var shown = estimate;
    if (last && last.session === sessionId && typeof last.left === "number") {
      var given = Math.max(0, answers - last.answers);
      shown = Math.max(1, Math.min(last.left, Math.max(estimate, last.left - given)));
    }
    try {
      store.setItem(PROGRESS_KEY, JSON.stringify({ session: sessionId, left: shown, answers: answers }));
    } catch (e) { /* storage full or off: the estimate is shown unsmoothed next time */ }
    return shown;
  }

  function showProgress(estimate) {
    if (typeof estimate !== "number" || estimate < 1) { ui.progress.hidden = true; return; }
    var left = smoothedLeft(estimate);
    ui.progress.textContent = left === 1 ? strings.progressOne : format(strings.progress, { n: left });
    ui.progress.hidden = false;
  }

  // -- the conversation -------------------------------------------------------------------------

  var socket = null;
  var sessionId = null;
  var pendingButtons = null;
  var started = false;

  function storedSession() {
    try { return store.getItem(KEY); } catch (e) { return null; }
  }

  function connect() {
    if (socket) { return; }
    ui.status.textContent = strings.connecting;
    loadSocketIo(function () {
      socket = window.io(serverUrl, { path: config.socketPath || "/socket.io", transports: ["polling", "websocket"] });
      socket.on("connect", function () {
        ui.status.textContent = "";
        socket.emit("session_request", { session_id: sessionId || storedSession() });
      });
      socket.on("disconnect", function () { ui.status.textContent = strings.offline; });
      socket.on("session_confirm", onSession);
      socket.on("bot_uttered", onBotMessage);
      socket.on("calx_state", onState);
    });
  }

  function onSession(id) {
    var previous = sessionId || storedSession();
    sessionId = String(id);
    try { store.setItem(KEY, sessionId); } catch (e) { /* storage may be off */ }
    if (previous === sessionId) {
      socket.emit("calx_resume", {});
    } else {
      ui.log.textContent = "";
      begin();
    }
  }

  function begin() {
    started = true;
    setTyping(true);
    socket.emit("user_uttered", { message: "hello", session_id: sessionId, metadata: { calx: { hidden: true, lang: config.lang } } });
  }

  function sendText(text, by) {
    if (!socket || !sessionId) { return; }
    answeredBy = by || answeredBy;
    markUrgentRead();  // answered with the advice in view: it may fold now
    addMessage("user", text);  // what is sent is what is shown (and what a reload shows)
    clearOptions();
    pendingButtons = null;
    setTyping(true);
    socket.emit("user_uttered", { message: text, session_id: sessionId, metadata: { calx: { lang: config.lang } } });
  }

  function onBotMessage(message) {
    if (!message) { return; }
    if (message.text) { addMessage("bot", String(message.text)); }
    var buttons = message.quick_replies || message.buttons;
    if (buttons && buttons.length) {
      pendingButtons = buttons.map(function (b) { return { label: String(b.title), payload: String(b.payload) }; });
    }
  }

  function onState(state) {
    if (!state) { return; }
    if (state.transcript) {
      ui.log.textContent = "";
      state.transcript.forEach(function (line) { addMessage(line.from === "user" ? "user" : "bot", line.text); });
      if (!state.transcript.length && !started) { begin(); return; }
    }
    setTyping(false);
    showProgress(state.questions_left);
    showUrgent(state.red_flags);
    var input = state.input;
    if (pendingButtons) {
      showChoices(pendingButtons);
    } else if (input && input.kind === "multi") {
      showMulti(input.options, input.map);
    } else if (input && input.options && input.options.length) {
      showChoices(input.options, input.card);
    } else {
      clearOptions();
    }
    pendingButtons = null;
    ui.input.setAttribute("inputmode", input && input.kind === "number" ? "numeric" : "text");
    if (state.finished) { ui.status.textContent = strings.finished; } else { ui.status.textContent = ""; }
    focusAnswer(false);
    ui.log.scrollTop = ui.log.scrollHeight;  // the answers area may have changed size
  }

  function init() {
    loadCss();
    build();
    var reopen = false;
    try { reopen = store.getItem(OPEN_KEY) === "1"; } catch (e) { reopen = false; }
    if (!ui.launcher) { connect(); }
    else if (config.open || reopen) { setOpen(true, false); }
  }

  window.CalxWidget = {
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, true); },
    session: function () { return sessionId; }
  };

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
