/*
 * vnlaw: chat about Vietnamese law, with citations.
 *
 * Embed on any page with one tag:
 *   <script src="https://HOST/widget.js" defer></script>
 * Options, as attributes of that tag:
 *   data-title     heading of the chat (default "Hỏi đáp pháp luật")
 *   data-color     accent colour, any CSS colour (default #1d4ed8)
 *   data-api       base URL of the API (default: the origin this file was loaded from)
 *   data-mode      "launcher" (default: a floating button that opens the chat) or "page"
 *                  (the chat fills the page; what GET / serves)
 *   data-examples  example questions separated by "|"
 *   data-timeout   seconds to wait for the service before giving up (default 30)
 *
 * Everything lives in a shadow root, so the host page's styles cannot reach in and ours
 * cannot leak out. Text from users and from the service is only ever set through
 * textContent: no HTML string is parsed anywhere in this file.
 */
(function () {
  "use strict";

  var script = document.currentScript || findScript();
  if (!script || script.hasAttribute("data-vnlaw-mounted")) return;
  script.setAttribute("data-vnlaw-mounted", "");

  var HISTORY_TURNS = 6;
  var MAX_TURN_CHARS = 2000; // well under the service's limit per turn (4 × the question limit)
  var KEPT_TURNS = 20; // answered questions restored after a reload of the page
  var DEFAULT_EXAMPLES = [
    "Mục tiêu đến năm 2025 về đào tạo đại học trực tuyến là gì?",
    "Người lao động được nghỉ hằng năm bao nhiêu ngày?",
    "Hợp đồng vô hiệu thì hậu quả pháp lý ra sao?",
  ];
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 5v2h10V9H7zm0 4v2h7v-2H7z",
    close: "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6 6.4 5z",
    send: "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z",
    plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
    retry: "M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z",
    up: "M2 10h4v11H2zm6 11h9.3a2 2 0 0 0 2-1.6l1.6-7.4A2 2 0 0 0 18.9 9.6H14l.8-4.1a1.6 1.6 0 0 0-2.9-1.2L8 9.3z",
    down: "M2 3h4v11H2zm6 0h9.3a2 2 0 0 1 2 1.6l1.6 7.4a2 2 0 0 1-2 2.4H14l.8 4.1a1.6 1.6 0 0 1-2.9 1.2L8 14.7z",
    info: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-1 5h2v2h-2zm0 4h2v6h-2z",
    warn: "M12 2 1 21h22L12 2zm-1 7h2v6h-2zm0 8h2v2h-2z",
    book: "M4 3h7a3 3 0 0 1 3 3v15a2.5 2.5 0 0 0-2.5-2.5H4zm16 0h-4.5A3.5 3.5 0 0 0 13 4.2V21a2.5 2.5 0 0 1 2.5-2.5H20z",
  };

  var data = script.dataset;
  var config = {
    mode: data.mode === "page" ? "page" : "launcher",
    title: (data.title || "").trim().slice(0, 80) || "Hỏi đáp pháp luật",
    color: validColor(data.color) || "#1d4ed8",
    api: apiBase(data.api, script.src),
    examples: examples(data.examples),
    timeoutMs: Math.min(Math.max(Number(data.timeout) || 30, 1), 600) * 1000,
  };

  function findScript() {
    var all = document.querySelectorAll("script[src]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }

  function validColor(value) {
    value = (value || "").trim();
    return value && window.CSS && CSS.supports("color", value) ? value : "";
  }

  function apiBase(value, src) {
    try {
      var url = new URL(value || new URL(src, location.href).origin, location.href);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(url.protocol);
      return url.href.replace(/\/+$/, "");
    } catch (e) {
      return location.origin;
    }
  }

  function examples(value) {
    var list = (value || "")
      .split("|")
      .map(function (s) { return s.trim(); })
      .filter(Boolean)
      .slice(0, 5);
    return list.length ? list : DEFAULT_EXAMPLES;
  }

  /* ---------------------------------------------------------------- DOM helpers */

  // h("button", {class: "x", type: "button", onclick: fn}, "text", child): attributes are set
  // with setAttribute, strings become text nodes. Never innerHTML.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) continue;
      if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else if (key === "hidden") el.hidden = true;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }

  function icon(name, cls) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon" + (cls ? " " + cls : ""));
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  /* ---------------------------------------------------------------- colours */

  function rgbOf(color, probe) {
    probe.style.color = color;
    var m = getComputedStyle(probe).color.match(/rgba?\(([\d.]+),?\s*([\d.]+),?\s*([\d.]+)/);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  // Text on the accent is white or near-black, whichever reads better; links and markers
  // use the accent only when it is dark enough on white (WCAG AA, 4.5:1).
  function palette(color, probe) {
    var rgb = rgbOf(color, probe);
    if (!rgb) return { on: "#ffffff", ink: "#1e3a8a" };
    var white = [255, 255, 255], ink = [17, 24, 39];
    return {
      on: contrast(rgb, white) >= contrast(rgb, ink) ? "#ffffff" : "#111827",
      ink: contrast(rgb, white) >= 4.5 ? color : "#1f2937",
    };
  }

  /* ---------------------------------------------------------------- the widget */

  function mount() {
    var host = document.createElement("div");
    host.setAttribute("data-vnlaw-widget", config.mode);
    if (config.mode === "page") host.style.display = "block";
    document.body.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    addStyles(root);

    var ui = build(root);
    var colours = palette(config.color, ui.probe);
    ui.frame.style.setProperty("--accent", config.color);
    ui.frame.style.setProperty("--on-accent", colours.on);
    ui.frame.style.setProperty("--ink", colours.ink);
    var chat = new Chat(ui);
    chat.reset(false);
    chat.restore();
    if (config.mode === "page") ui.input.focus();
  }

  function addStyles(root) {
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS_TEXT);
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) {
        /* fall through to a <style> element */
      }
    }
    root.appendChild(h("style", null, CSS_TEXT));
  }

  function build(root) {
    var page = config.mode === "page";
    var ui = {};
    ui.probe = h("span", { class: "probe", "aria-hidden": "true" });
    ui.live = h("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "true" });
    ui.input = h("textarea", {
      id: "vnlaw-input",
      rows: "1",
      maxlength: "2000",
      placeholder: "Nhập câu hỏi về pháp luật…",
      autocomplete: "off",
      enterkeyhint: "send",
    });
    ui.send = h("button", { type: "submit", class: "send", title: "Gửi câu hỏi" },
      icon("send"), h("span", { class: "sr-only" }, "Gửi câu hỏi"));
    ui.form = h("form", { class: "composer", novalidate: true },
      h("label", { for: "vnlaw-input", class: "sr-only" }, "Câu hỏi của bạn"),
      ui.input, ui.send);
    ui.reset = h("button", { type: "button", class: "reset", title: "Cuộc trò chuyện mới" },
      icon("plus"), h("span", { class: "reset-text" }, "Cuộc trò chuyện mới"));
    ui.close = page ? null : h("button", { type: "button", class: "close", title: "Đóng" },
      icon("close"), h("span", { class: "sr-only" }, "Đóng cửa sổ hỏi đáp"));
    ui.log = h("div", { class: "log", tabindex: "0", role: "region", "aria-label": "Nội dung trò chuyện" });
    ui.panel = h(page ? "main" : "section", {
      id: "vnlaw-panel",
      class: "panel",
      role: page ? null : "dialog",
      "aria-labelledby": "vnlaw-title",
      hidden: !page,
    },
      h("header", { class: "bar" },
        h("span", { class: "logo", "aria-hidden": "true" }, icon("book")),
        h("div", { class: "titles" },
          h(page ? "h1" : "h2", { id: "vnlaw-title", class: "title" }, config.title),
          h("p", { class: "subtitle" }, "Trả lời có trích dẫn văn bản gốc")),
        ui.reset, ui.close),
      ui.log,
      h("div", { class: "dock" },
        ui.form,
        h("p", { class: "disclaimer" },
          "Chỉ để tham khảo, không thay thế tư vấn pháp lý.")));
    ui.launcher = page ? null : h("button", {
      type: "button",
      class: "launcher",
      "aria-expanded": "false",
      "aria-controls": "vnlaw-panel",
    }, icon("chat", "icon-open"), icon("close", "icon-shut"), h("span", { class: "launcher-text" }, config.title));
    ui.frame = h("div", { class: "frame", "data-mode": config.mode }, ui.panel, ui.launcher, ui.live, ui.probe);
    root.appendChild(ui.frame);
    return ui;
  }

  /* ---------------------------------------------------------------- conversation */

  function Chat(ui) {
    this.ui = ui;
    this.turns = []; // {question, result} of this conversation, kept in sessionStorage
    this.busy = false;
    this.controller = null;
    this.generation = 0; // bumped by "new conversation": late replies of the old one are dropped
    this.seq = 0;
    var self = this;

    ui.form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.submit();
    });
    ui.input.addEventListener("keydown", function (e) {
      // isComposing / 229: Vietnamese input methods (Telex, VNI) compose with Enter too.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        self.submit();
      }
    });
    ui.input.addEventListener("input", function () { self.autosize(); });
    ui.reset.addEventListener("click", function () {
      self.reset(true);
      saveTurns([]);
    });
    if (ui.launcher) {
      ui.launcher.addEventListener("click", function () { self.toggle(); });
      ui.close.addEventListener("click", function () { self.setOpen(false); });
      ui.frame.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && self.isOpen()) {
          e.preventDefault();
          e.stopPropagation();
          self.setOpen(false);
        }
      });
    }
  }

  Chat.prototype.isOpen = function () {
    return !this.ui.panel.hidden;
  };

  Chat.prototype.toggle = function () {
    this.setOpen(!this.isOpen());
  };

  Chat.prototype.setOpen = function (open) {
    var ui = this.ui;
    ui.panel.hidden = !open;
    ui.frame.classList.toggle("is-open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      ui.input.focus();
      this.scrollToEnd();
    } else {
      ui.launcher.focus();
    }
  };

  Chat.prototype.autosize = function () {
    var input = this.ui.input;
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  };

  Chat.prototype.announce = function (text) {
    var live = this.ui.live;
    live.textContent = "";
    // A fresh text node a moment later is announced even when it repeats the last one.
    setTimeout(function () { live.textContent = text; }, 60);
  };

  Chat.prototype.reset = function (announce) {
    this.generation++;
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.turns = [];
    this.setBusy(false);
    clear(this.ui.log);
    this.ui.log.appendChild(this.welcome());
    this.ui.input.value = "";
    this.autosize();
    if (announce) {
      this.announce("Đã bắt đầu cuộc trò chuyện mới.");
      this.ui.input.focus();
    }
  };

  Chat.prototype.welcome = function () {
    var coverage = h("p", { class: "coverage", hidden: true });
    this.checkCoverage(coverage);
    return h("div", { class: "welcome" },
      h("p", { class: "welcome-title" }, "Xin chào!"),
      h("p", null,
        "Hãy đặt câu hỏi về pháp luật Việt Nam. Mỗi câu trả lời đều kèm trích dẫn điều, " +
        "khoản của văn bản gốc để bạn tự kiểm tra."),
      coverage,
      this.suggestions("Bạn có thể bắt đầu với:"));
  };

  // While the service is still indexing its collections, say so: an answer may lack a law
  // that will be there later. Best effort: no note when /readyz cannot be read.
  Chat.prototype.checkCoverage = function (note) {
    fetch(config.api + "/readyz", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (ready) {
        var indexing = ready && ready.indexing;
        if (!indexing || indexing.state !== "running") return;
        note.textContent = "Kho văn bản đang được bổ sung (" + Number(ready.documents) +
          " văn bản đã sẵn sàng, giai đoạn " + Number(indexing.stage) + "/" + Number(indexing.stages) +
          "): câu trả lời có thể chưa đầy đủ.";
        note.hidden = false;
      })
      .catch(function () {});
  };

  Chat.prototype.suggestions = function (label) {
    var self = this;
    var id = "vnlaw-sg-" + ++this.seq;
    return h("div", { class: "suggestions" },
      h("p", { class: "suggestions-label", id: id }, label),
      h("ul", { class: "chips", "aria-labelledby": id },
        config.examples.map(function (q) {
          return h("li", null, h("button", {
            type: "button",
            class: "chip",
            onclick: function () { self.ask(q); },
          }, q));
        })));
  };

  Chat.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.ui.send.disabled = busy;
    this.ui.log.setAttribute("aria-busy", String(busy));
  };

  Chat.prototype.submit = function () {
    var question = this.ui.input.value.trim();
    if (!question || this.busy) return;
    this.ui.input.value = "";
    this.autosize();
    this.ask(question);
  };

  Chat.prototype.ask = function (question) {
    if (this.busy) return;
    this.ui.log.appendChild(userMessage(question));
    this.run(question, this.recentHistory());
  };

  function userMessage(question) {
    return h("div", { class: "msg user" },
      h("span", { class: "sr-only" }, "Bạn hỏi: "),
      h("p", { class: "bubble" }, question));
  }

  Chat.prototype.remember = function (question, result) {
    this.turns.push({ question: question, result: result });
  };

  // The last turns as /ask takes them.
  Chat.prototype.recentHistory = function () {
    var messages = [];
    this.turns.forEach(function (t) {
      messages.push(
        { role: "user", content: t.question.slice(0, MAX_TURN_CHARS) },
        { role: "assistant", content: t.result.answer.slice(0, MAX_TURN_CHARS) });
    });
    return messages.slice(-HISTORY_TURNS);
  };

  // The conversation of this tab after a reload, shown as it was (no announcement).
  Chat.prototype.restore = function () {
    var turns = loadTurns();
    if (!turns.length) return;
    try {
      clear(this.ui.log);
      for (var i = 0; i < turns.length; i++) {
        var msg = h("article", { class: "msg bot" });
        this.ui.log.appendChild(userMessage(turns[i].question));
        this.ui.log.appendChild(msg);
        this.render(msg, turns[i].question, turns[i].result);
        this.remember(turns[i].question, turns[i].result);
      }
      this.scrollToEnd();
    } catch (e) {
      // Stored by an older version of this script, or tampered with: start afresh.
      saveTurns([]);
      this.reset(false);
    }
  };

  Chat.prototype.run = function (question, history) {
    var self = this;
    var generation = this.generation;
    var msg = h("article", { class: "msg bot", "aria-busy": "true" });
    var body = h("div", { class: "answer" });
    msg.appendChild(h("div", { class: "typing" },
      h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")),
      "Đang tra cứu văn bản pháp luật…"));
    msg.appendChild(body);
    this.ui.log.appendChild(msg);
    this.scrollToEnd();
    this.setBusy(true);

    var text = "";
    request(this, question, history, function (piece) {
      if (generation !== self.generation) return;
      text += piece;
      var stick = self.nearEnd();
      if (msg.firstChild.className === "typing") msg.removeChild(msg.firstChild);
      renderAnswer(body, text, null);
      if (stick) self.scrollToEnd();
    }).then(function (result) {
      if (generation !== self.generation) return;
      self.setBusy(false);
      msg.removeAttribute("aria-busy");
      self.remember(question, result);
      saveTurns(self.turns);
      self.finish(msg, question, result);
    }, function (error) {
      if (generation !== self.generation) return;
      self.setBusy(false);
      self.fail(msg, question, history, error);
    });
  };

  Chat.prototype.finish = function (msg, question, result) {
    this.render(msg, question, result);
    this.announce(
      (result.abstained ? "Không tìm thấy câu trả lời. " : "Câu trả lời: ") +
      result.answer.replace(/\s*\[\d+\]/g, "") +
      (result.citations.length ? " Có " + result.citations.length + " trích dẫn bên dưới." : ""));
    this.reveal(msg);
  };

  Chat.prototype.render = function (msg, question, result) {
    clear(msg);
    var id = "vnlaw-m" + ++this.seq;
    msg.id = id;
    msg.appendChild(h("span", { class: "sr-only" }, "Trợ lý trả lời: "));
    if (result.abstained) {
      msg.classList.add("abstained");
      msg.appendChild(h("div", { class: "notice" }, icon("info"), h("p", null, result.answer)));
      msg.appendChild(this.suggestions("Bạn có thể thử hỏi:"));
    } else {
      var body = h("div", { class: "answer" });
      renderAnswer(body, result.answer, result.citations, this, id);
      msg.appendChild(body);
      if (result.citations.length) msg.appendChild(renderSources(result.citations, id));
    }
    msg.appendChild(this.feedback(question, result));
  };

  /* ------------------------------------------- conversation kept across page loads */

  // Per tab (sessionStorage) and per service: a reload keeps the conversation, a new tab or
  // "Cuộc trò chuyện mới" does not. Storage may be disabled or full; the chat works without.
  function storageKey() {
    return "vnlaw-chat:" + config.api;
  }

  function loadTurns() {
    try {
      var turns = JSON.parse(window.sessionStorage.getItem(storageKey()) || "[]");
      return Array.isArray(turns) ? turns.filter(isTurn) : [];
    } catch (e) {
      return [];
    }
  }

  function saveTurns(turns) {
    try {
      window.sessionStorage.setItem(storageKey(), JSON.stringify(turns.slice(-KEPT_TURNS)));
    } catch (e) {
      /* disabled or full */
    }
  }

  // Only what checkResult itself once returned is shown again; anything else was not stored
  // by this script.
  function isTurn(t) {
    return !!t && typeof t.question === "string" &&
      JSON.stringify(checkResult(t.result)) === JSON.stringify(t.result);
  }

  Chat.prototype.fail = function (msg, question, history, error) {
    var self = this;
    clear(msg);
    msg.removeAttribute("aria-busy");
    msg.classList.add("error");
    var text = describe(error, config.timeoutMs);
    var retry = h("button", { type: "button", class: "retry" }, icon("retry"), "Thử lại");
    retry.addEventListener("click", function () {
      if (self.busy) return;
      msg.parentNode.removeChild(msg);
      self.run(question, history);
    });
    msg.appendChild(h("div", { class: "notice warn" }, icon("warn"),
      h("div", null,
        h("p", { class: "error-title" }, text.title),
        text.detail ? h("p", { class: "error-detail" }, text.detail) : null,
        retry)));
    this.announce(text.title + (text.detail ? " " + text.detail : ""));
    this.reveal(msg);
  };

  Chat.prototype.feedback = function (question, result) {
    var id = "vnlaw-fb-" + ++this.seq;
    var rating = null;
    var up = h("button", { type: "button", class: "vote", "aria-pressed": "false", title: "Hữu ích" },
      icon("up"), h("span", { class: "sr-only" }, "Hữu ích"));
    var down = h("button", { type: "button", class: "vote", "aria-pressed": "false", title: "Chưa hữu ích" },
      icon("down"), h("span", { class: "sr-only" }, "Chưa hữu ích"));
    var comment = h("textarea", { id: id, rows: "2", maxlength: "2000", placeholder: "Điều gì làm bạn hài lòng hoặc chưa hài lòng?" });
    var status = h("p", { class: "feedback-status", role: "status" });
    var submit = h("button", { type: "submit", class: "primary" }, "Gửi góp ý");
    var form = h("form", { class: "feedback-form", hidden: true, novalidate: true },
      h("label", { for: id }, "Góp ý thêm (không bắt buộc)"),
      comment,
      h("div", { class: "row" }, submit,
        h("button", { type: "button", class: "link", onclick: cancel }, "Hủy")));
    var box = h("div", { class: "feedback" },
      h("div", { class: "votes", role: "group", "aria-label": "Đánh giá câu trả lời" },
        h("span", { class: "votes-label" }, "Câu trả lời có hữu ích không?"), up, down),
      form, status);

    function choose(value) {
      rating = value;
      up.setAttribute("aria-pressed", String(value === "up"));
      down.setAttribute("aria-pressed", String(value === "down"));
      form.hidden = false;
      status.textContent = "";
      comment.focus();
    }
    function cancel() {
      rating = null;
      up.setAttribute("aria-pressed", "false");
      down.setAttribute("aria-pressed", "false");
      form.hidden = true;
      up.focus();
    }
    up.addEventListener("click", function () { choose("up"); });
    down.addEventListener("click", function () { choose("down"); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!rating) return;
      submit.disabled = true;
      status.textContent = "Đang gửi…";
      sendFeedback({
        question: question,
        answer: result.answer.slice(0, 20000),
        citations: result.citations.slice(0, 20).map(citationPayload),
        rating: rating,
        comment: comment.value.trim().slice(0, 2000) || null,
      }).then(function () {
        clear(box);
        box.appendChild(h("p", { class: "feedback-status done", role: "status" },
          "Cảm ơn bạn đã góp ý!"));
      }, function (error) {
        submit.disabled = false;
        var text = describe(error, 15000);
        status.textContent = "Chưa gửi được góp ý. " + text.title + (text.detail ? " " + text.detail : "");
      });
    });
    return box;
  };

  Chat.prototype.nearEnd = function () {
    var log = this.ui.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  };

  Chat.prototype.scrollToEnd = function () {
    var log = this.ui.log;
    log.scrollTop = log.scrollHeight;
  };

  // Show a finished message: all of it when it fits, else from the question that led to it.
  Chat.prototype.reveal = function (msg) {
    var log = this.ui.log;
    var question = msg.previousElementSibling;
    var top = question && question.classList.contains("user") ? question : msg;
    var logTop = log.getBoundingClientRect().top;
    var from = top.getBoundingClientRect().top;
    if (msg.getBoundingClientRect().bottom - from > log.clientHeight) {
      log.scrollTop += from - logTop - 8;
    } else {
      this.scrollToEnd();
    }
  };

  /* ---------------------------------------------------------------- rendering */

  // The answer, line by line: "- " lines become a list; [n] markers become buttons that jump
  // to footnote n once the citations are known (plain badges while the answer streams in).
  function renderAnswer(body, text, citations, chat, msgId) {
    clear(body);
    var list = null;
    text.split("\n").forEach(function (line) {
      var item = /^\s*[-•]\s+/.exec(line);
      if (item) {
        if (!list) body.appendChild((list = h("ul")));
        var li = h("li");
        addMarked(li, line.slice(item[0].length), citations, chat, msgId);
        list.appendChild(li);
      } else if (line.trim()) {
        list = null;
        var p = h("p");
        addMarked(p, line, citations, chat, msgId);
        body.appendChild(p);
      }
    });
  }

  function addMarked(el, text, citations, chat, msgId) {
    // "Label: sentence [n]" where Label is the cited provision: the label is emphasised.
    if (citations) {
      var n = /\[(\d+)\]\s*$/.exec(text);
      var cited = n && citations[Number(n[1]) - 1];
      if (cited && cited.label && text.indexOf(cited.label + ": ") === 0) {
        el.appendChild(h("span", { class: "ans-label" }, cited.label + ":"));
        text = " " + text.slice(cited.label.length + 2);
      }
    }
    var re = /\[(\d{1,3})\]/g;
    var last = 0;
    var m;
    while ((m = re.exec(text))) {
      var k = Number(m[1]);
      if (k < 1 || (citations && k > citations.length)) continue;
      el.appendChild(document.createTextNode(text.slice(last, m.index).replace(/\s+$/, "")));
      el.appendChild(citations ? markerButton(k, citations[k - 1], chat, msgId)
        : h("span", { class: "marker pending" }, String(k)));
      last = re.lastIndex;
    }
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  function markerButton(n, citation, chat, msgId) {
    return h("button", {
      type: "button",
      class: "marker",
      "aria-label": "Trích dẫn " + n + ": " + citation.label,
      title: citation.label,
      onclick: function () {
        var root = chat.ui.frame;
        var note = root.querySelector("#" + msgId + "-src-" + n);
        if (!note) return;
        var summary = note.querySelector("summary");
        note.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
        note.classList.remove("flash");
        void note.offsetWidth; // restart the highlight
        note.classList.add("flash");
        (summary || note).focus({ preventScroll: true });
      },
    }, String(n));
  }

  var SOURCE_KINDS = {
    consolidated: "Bản pháp điển (hợp nhất)",
    quotes: "Trích dẫn nguyên văn",
  };

  function renderSources(citations, msgId) {
    var headingId = msgId + "-sources";
    return h("section", { class: "sources", "aria-labelledby": headingId },
      h("h3", { class: "sources-title", id: headingId }, "Nguồn trích dẫn"),
      h("ol", null, citations.map(function (c, i) {
        var n = i + 1;
        var facts = [];
        if (c.doc_number) facts.push(h("span", { class: "fact" }, "Số hiệu " + c.doc_number));
        if (c.status) {
          facts.push(h("span", { class: "fact status" + (/hết|ngưng|bãi bỏ/i.test(c.status) ? " expired" : ""), title: c.status_basis || "" }, c.status));
        }
        // What replaced the text, so a reader of an old provision finds the current one.
        if (Array.isArray(c.replaced_by) && c.replaced_by.length) {
          facts.push(h("span", { class: "fact successor" }, "Thay bằng " + c.replaced_by.map(function (r) { return str(r.number); }).join(", ")));
        }
        if (c.effective && !c.origin_effective) facts.push(h("span", { class: "fact origin" }, "Hiệu lực từ " + c.effective));
        // What the cited text is, so nobody takes a consolidated wording or a partial text for
        // the document as signed; the provenance is the chip's tooltip.
        var kind = SOURCE_KINDS[c.source_kind];
        if (kind) facts.push(h("span", { class: "fact kind", title: c.source || kind }, kind));
        if (c.partial) facts.push(h("span", { class: "fact partial", title: "Văn bản này thiếu một số điều, khoản" }, "Văn bản không đầy đủ"));
        if (c.origin_number && c.origin_number !== c.doc_number) {
          facts.push(h("span", { class: "fact origin" }, "Ban hành tại " + c.origin_number));
        }
        if (c.origin_effective) facts.push(h("span", { class: "fact origin" }, "Hiệu lực từ " + c.origin_effective));
        return h("li", { class: "source", id: msgId + "-src-" + n, tabindex: "-1" },
          h("span", { class: "source-num", "aria-hidden": "true" }, String(n)),
          h("div", { class: "source-body" },
            h("p", { class: "source-label" }, h("span", { class: "sr-only" }, "Trích dẫn " + n + ": "), h("strong", null, c.label)),
            c.heading ? h("p", { class: "source-heading" }, c.heading) : null,
            h("p", { class: "source-doc" }, c.doc_title),
            facts.length ? h("p", { class: "facts" }, facts) : null,
            c.quote ? h("details", { class: "quote" },
              h("summary", null, "Xem đoạn trích dẫn"),
              h("blockquote", null, c.quote)) : null));
      })));
  }

  /* ---------------------------------------------------------------- network */

  function ChatError(kind, status, detail) {
    this.kind = kind;
    this.status = status || 0;
    this.detail = detail || "";
  }

  function describe(error, timeoutMs) {
    if (!(error instanceof ChatError)) error = new ChatError("network");
    switch (error.kind) {
      case "timeout":
        return {
          title: "Máy chủ phản hồi quá lâu.",
          detail: "Đã chờ " + Math.round(timeoutMs / 1000) + " giây mà chưa nhận được câu trả lời. Vui lòng thử lại.",
        };
      case "stream":
        return { title: "Kết nối bị gián đoạn trước khi nhận đủ câu trả lời.", detail: "Vui lòng thử lại." };
      case "http":
        return {
          title: error.status === 429 ? "Bạn đã gửi nhiều câu hỏi trong thời gian ngắn."
            : error.status === 503 ? "Hệ thống đang tạm thời chưa sẵn sàng."
            : error.status >= 500 ? "Máy chủ gặp lỗi khi xử lý câu hỏi."
            : "Máy chủ không nhận câu hỏi này.",
          detail: error.detail ? "Chi tiết: " + error.detail : "Mã lỗi " + error.status + ".",
        };
      default:
        return {
          title: "Không kết nối được với máy chủ hỏi đáp.",
          detail: "Vui lòng kiểm tra kết nối mạng rồi thử lại.",
        };
    }
  }

  // A 4xx/5xx body is {"detail": "..."} or, for validation errors, a list of {"msg"}.
  function errorDetail(body) {
    var detail = body && body.detail;
    if (Array.isArray(detail)) {
      detail = detail.map(function (d) {
        return d && typeof d === "object" ? String(d.msg || JSON.stringify(d)) : String(d);
      }).join("; ");
    } else if (detail && typeof detail === "object") {
      detail = JSON.stringify(detail);
    }
    return detail ? String(detail).slice(0, 400) : "";
  }

  function httpError(response) {
    return response.json().then(function (body) {
      throw new ChatError("http", response.status, errorDetail(body));
    }, function () {
      throw new ChatError("http", response.status, "");
    });
  }

  // POST /ask with stream: true and read the server-sent events as they arrive: fetch and a
  // ReadableStream, since EventSource cannot POST. Resolves with the "done" payload.
  function request(chat, question, history, onToken) {
    var controller = new AbortController();
    chat.controller = controller;
    var timedOut = false;
    var timer = null;
    function arm() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        timedOut = true;
        controller.abort();
      }, config.timeoutMs);
    }
    arm();
    var result = null;
    function onEvent(name, payload) {
      if (name === "token") {
        if (payload && typeof payload.text === "string") onToken(payload.text);
      } else if (name === "done") {
        result = payload;
      } else if (name === "error") {
        throw new ChatError("http", 500, errorDetail(payload));
      }
    }
    return fetch(config.api + "/ask", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question: question, history: history, stream: true }),
      signal: controller.signal,
    }).then(function (response) {
      if (!response.ok) return httpError(response);
      return readEvents(response, onEvent, arm);
    }).then(function () {
      var checked = checkResult(result);
      if (!checked) throw new ChatError("stream");
      return checked;
    }).catch(function (error) {
      if (error instanceof ChatError) throw error;
      throw new ChatError(timedOut ? "timeout" : "network");
    }).finally(function () {
      clearTimeout(timer);
      if (chat.controller === controller) chat.controller = null;
    });
  }

  function readEvents(response, onEvent, onProgress) {
    var type = response.headers.get("content-type") || "";
    if (type.indexOf("text/event-stream") === -1) {
      return response.json().then(function (body) { onEvent("done", body); });
    }
    var buffer = "";
    function drain(final) {
      var blocks = buffer.replace(/\r\n?/g, "\n").split("\n\n");
      buffer = final ? "" : blocks.pop();
      blocks.forEach(function (block) {
        var name = "message";
        var lines = [];
        block.split("\n").forEach(function (line) {
          if (!line || line[0] === ":") return;
          var colon = line.indexOf(":");
          var field = colon === -1 ? line : line.slice(0, colon);
          var value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") name = value;
          else if (field === "data") lines.push(value);
        });
        if (!lines.length) return;
        var payload;
        try {
          payload = JSON.parse(lines.join("\n"));
        } catch (e) {
          throw new ChatError("stream");
        }
        onEvent(name, payload);
      });
    }
    if (!response.body || !response.body.getReader) {
      return response.text().then(function (text) {
        buffer = text;
        drain(true);
      });
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder("utf-8");
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          drain(true);
          return;
        }
        onProgress();
        buffer += decoder.decode(chunk.value, { stream: true });
        drain(false);
        return pump();
      });
    }
    return pump();
  }

  function checkResult(result) {
    if (!result || typeof result.answer !== "string") return null;
    return {
      answer: result.answer,
      abstained: result.abstained === true,
      citations: objects(result.citations).map(function (c) {
        return {
          doc_id: str(c.doc_id),
          doc_number: strOrNull(c.doc_number),
          doc_title: str(c.doc_title),
          path: Array.isArray(c.path) ? c.path.filter(Array.isArray).map(function (p) { return [str(p[0]), str(p[1])]; }) : [],
          label: str(c.label),
          heading: str(c.heading),
          quote: str(c.quote),
          score: typeof c.score === "number" && isFinite(c.score) ? c.score : 0,
          status: strOrNull(c.status),
          status_basis: strOrNull(c.status_basis),
          effective: strOrNull(c.effective),
          replaced_by: objects(c.replaced_by).map(function (r) {
            return { number: str(r.number), doc_id: strOrNull(r.doc_id) };
          }),
          partial: c.partial === true,
          source_kind: Object.prototype.hasOwnProperty.call(SOURCE_KINDS, c.source_kind) ? c.source_kind : null,
          source: strOrNull(c.source),
          origin_number: strOrNull(c.origin_number),
          origin_effective: strOrNull(c.origin_effective),
        };
      }),
    };
  }

  // The objects of what a response gives as a list: anything else is dropped, not shown.
  function objects(list) {
    return Array.isArray(list) ? list.filter(function (x) { return x && typeof x === "object"; }) : [];
  }

  function strOrNull(value) {
    return value == null ? null : String(value);
  }

  function str(value) {
    return value == null ? "" : String(value);
  }

  function citationPayload(c) {
    return {
      doc_id: c.doc_id,
      doc_number: c.doc_number,
      doc_title: c.doc_title,
      path: c.path,
      label: c.label,
      heading: c.heading,
      quote: c.quote,
      score: c.score,
      status: c.status,
    };
  }

  function sendFeedback(payload) {
    var controller = new AbortController();
    var timedOut = false;
    var timer = setTimeout(function () {
      timedOut = true;
      controller.abort();
    }, 15000);
    return fetch(config.api + "/feedback", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      signal: controller.signal,
    }).then(function (response) {
      if (!response.ok) return httpError(response);
      return response.json();
    }).catch(function (error) {
      if (error instanceof ChatError) throw error;
      throw new ChatError(timedOut ? "timeout" : "network");
    }).finally(function () {
      clearTimeout(timer);
    });
  }

  function reducedMotion() {
    return window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  /* ---------------------------------------------------------------- styles */

  var CSS_TEXT = [
    ":host { all: initial; }",
    ".frame { --accent: #1d4ed8; --on-accent: #fff; --ink: #1d4ed8; --text: #1f2937; --muted: #4b5563;",
    "  --line: #e2e8f0; --soft: #f5f7fb; --radius: 14px;",
    "  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif;",
    "  font-size: 15px; line-height: 1.55; color: var(--text); -webkit-font-smoothing: antialiased;",
    "  text-align: left; letter-spacing: normal; word-spacing: normal; text-transform: none; }",
    /* Resets wrapped in :where() weigh nothing, so every component rule below wins over them. */
    ":where(.frame) *, :where(.frame) *::before, :where(.frame) *::after { box-sizing: border-box; }",
    ":where(.frame) :where(p, h1, h2, h3, ul, ol, blockquote) { margin: 0; padding: 0; }",
    ":where(.frame) :where(button, textarea) { font: inherit; color: inherit; letter-spacing: inherit; }",
    ":where(.frame) button { cursor: pointer; }",
    ":where(.frame) button:disabled { cursor: not-allowed; opacity: .55; }",
    ":where(.frame) :focus { outline: none; }",
    ":where(.frame) :focus-visible { outline: 3px solid var(--ink); outline-offset: 2px; }",
    ".sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;",
    "  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }",
    ".probe { position: absolute; width: 0; height: 0; overflow: hidden; }",
    ".icon { width: 20px; height: 20px; fill: currentColor; flex: none; display: block; }",
    "[hidden] { display: none !important; }",

    /* launcher */
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: inline-flex;",
    "  align-items: center; gap: 10px; min-height: 56px; padding: 0 22px 0 18px; border: 0; border-radius: 999px;",
    "  background: var(--accent); color: var(--on-accent); font-weight: 600; font-size: 15px;",
    "  box-shadow: 0 8px 24px rgba(15, 23, 42, .25), 0 2px 6px rgba(15, 23, 42, .2); transition: transform .15s ease; }",
    ".launcher:hover { transform: translateY(-1px); }",
    ".launcher .icon { width: 24px; height: 24px; }",
    ".launcher:focus-visible { outline-color: var(--accent); outline-offset: 3px; box-shadow: 0 0 0 3px #fff, 0 8px 24px rgba(15, 23, 42, .25); }",
    ".launcher .icon-shut, .is-open .launcher .icon-open { display: none; }",
    ".is-open .launcher .icon-shut { display: block; }",

    /* panel */
    ".panel { display: flex; flex-direction: column; background: #fff; overflow: hidden; }",
    "[data-mode=launcher] .panel { position: fixed; z-index: 2147483001; right: 20px; bottom: 88px; width: 410px;",
    "  height: min(680px, calc(100vh - 112px)); border-radius: 18px; border: 1px solid var(--line);",
    "  box-shadow: 0 24px 48px rgba(15, 23, 42, .22), 0 4px 12px rgba(15, 23, 42, .12); animation: vnlaw-in .18s ease-out; }",
    "@keyframes vnlaw-in { from { opacity: 0; transform: translateY(12px) scale(.98); } to { opacity: 1; transform: none; } }",
    "[data-mode=page] .panel { height: 100vh; height: 100dvh; }",

    /* header */
    ".bar { display: flex; align-items: center; gap: 10px; padding: 12px 12px 12px 16px; background: var(--accent);",
    "  color: var(--on-accent); flex: none; }",
    "[data-mode=page] .bar { padding: 14px max(16px, calc((100% - 760px) / 2)); }",
    ".logo { display: grid; place-items: center; width: 36px; height: 36px; border-radius: 10px;",
    "  background: rgba(255, 255, 255, .16); flex: none; }",
    ".titles { flex: 1; min-width: 0; }",
    ".title { font-size: 16px; font-weight: 700; line-height: 1.3; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    "[data-mode=page] .title { font-size: 18px; }",
    ".subtitle { font-size: 12.5px; opacity: .9; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".bar button { display: inline-flex; align-items: center; gap: 6px; min-height: 40px; min-width: 40px; justify-content: center;",
    "  border: 1px solid rgba(255, 255, 255, .45); border-radius: 10px; background: transparent; color: inherit;",
    "  font-size: 13.5px; font-weight: 600; padding: 0 12px; flex: none; }",
    ".bar button:hover { background: rgba(255, 255, 255, .14); }",
    ".bar .close { border-color: transparent; padding: 0; }",
    "[data-mode=launcher] .reset { padding: 0; }",
    "[data-mode=launcher] .reset-text { position: absolute; width: 1px; height: 1px; overflow: hidden;",
    "  clip-path: inset(50%); white-space: nowrap; }",
    "@media (max-width: 560px) {",
    "  .reset { padding: 0 !important; }",
    "  .reset-text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    "}",
    ".bar :focus-visible { outline-color: var(--on-accent); }",

    /* conversation */
    ".log { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 18px 16px 8px; background: var(--soft);",
    "  display: flex; flex-direction: column; gap: 14px; }",
    ".log:focus-visible { outline-offset: -3px; }",
    "[data-mode=page] .log { padding: 28px max(16px, calc((100% - 760px) / 2)) 12px; }",
    ".welcome { background: #fff; border: 1px solid var(--line); border-radius: var(--radius); padding: 16px; }",
    ".welcome-title { font-weight: 700; font-size: 17px; margin-bottom: 4px; }",
    ".coverage { margin-top: 8px; padding: 8px 10px; border-radius: 8px; background: #fff8e1; color: #5d4300; font-size: 13px; }",
    ".welcome > p { color: var(--text); }",
    ".suggestions { margin-top: 12px; }",
    ".suggestions-label { font-size: 13px; font-weight: 600; color: var(--muted); margin-bottom: 8px; }",
    ".chips { list-style: none; display: flex; flex-direction: column; gap: 8px; }",
    ".chip { display: block; width: 100%; text-align: left; padding: 9px 12px; border: 1px solid var(--line);",
    "  border-left: 3px solid var(--ink); border-radius: 10px; background: #fff; color: var(--ink); font-size: 14px;",
    "  line-height: 1.4; font-weight: 500; }",
    ".chip:hover { background: var(--soft); }",

    ".msg { max-width: 100%; overflow-wrap: anywhere; }",
    ".msg.user { align-self: flex-end; max-width: 85%; }",
    ".msg.user .bubble { background: var(--accent); color: var(--on-accent); padding: 10px 14px;",
    "  border-radius: 16px 16px 4px 16px; white-space: pre-wrap; }",
    ".msg.bot { align-self: stretch; background: #fff; border: 1px solid var(--line); border-radius: 4px 16px 16px 16px;",
    "  padding: 14px 16px; box-shadow: 0 1px 2px rgba(15, 23, 42, .05); }",
    ".typing { display: flex; align-items: center; gap: 10px; color: var(--muted); font-size: 14px; }",
    ".dots { display: inline-flex; gap: 4px; }",
    ".dots i { width: 7px; height: 7px; border-radius: 50%; background: var(--ink); opacity: .35; animation: vnlaw-dot 1s infinite; }",
    ".dots i:nth-child(2) { animation-delay: .15s; } .dots i:nth-child(3) { animation-delay: .3s; }",
    "@keyframes vnlaw-dot { 0%, 100% { opacity: .25; } 50% { opacity: 1; } }",
    ".answer p + p, .answer p + ul, .answer ul + p { margin-top: 8px; }",
    ".answer ul { list-style: none; display: flex; flex-direction: column; gap: 8px; margin-top: 8px; }",
    ".answer li { position: relative; padding-left: 16px; }",
    ".answer li::before { content: ''; position: absolute; left: 2px; top: .65em; width: 6px; height: 6px;",
    "  border-radius: 50%; background: var(--ink); }",
    ".ans-label { font-weight: 600; }",
    ".marker { display: inline-flex; align-items: center; justify-content: center; min-width: 22px; height: 20px;",
    "  margin-left: 4px; padding: 0 6px; border-radius: 6px; border: 1px solid var(--ink); background: #fff; color: var(--ink);",
    "  font-size: 12px; font-weight: 700; line-height: 1; vertical-align: 2px; }",
    "button.marker:hover { background: var(--ink); color: #fff; }",
    ".marker.pending { opacity: .6; }",

    /* footnotes */
    ".sources { margin-top: 14px; padding-top: 12px; border-top: 1px solid var(--line); }",
    ".sources-title { font-size: 12.5px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin-bottom: 8px; }",
    ".sources ol { list-style: none; display: flex; flex-direction: column; gap: 10px; }",
    ".source { display: flex; gap: 10px; padding: 10px; border-radius: 10px; background: var(--soft); border: 1px solid transparent; }",
    ".source.flash { border-color: var(--ink); animation: vnlaw-flash 1.6s ease-out; }",
    "@keyframes vnlaw-flash { from { background: #fff7d6; } to { background: var(--soft); } }",
    ".source-num { flex: none; display: grid; place-items: center; width: 24px; height: 24px; border-radius: 50%;",
    "  background: var(--accent); color: var(--on-accent); font-size: 12.5px; font-weight: 700; }",
    ".source-body { min-width: 0; flex: 1; display: flex; flex-direction: column; gap: 2px; }",
    ".source-label { font-size: 14.5px; line-height: 1.4; }",
    ".source-heading { font-size: 14px; color: var(--text); }",
    ".source-doc { font-size: 13px; color: var(--muted); }",
    ".facts { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }",
    ".fact { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 999px; background: #e8edf5; color: #334155; }",
    ".fact.status { background: #dcfce7; color: #166534; }",
    ".fact.status.expired { background: #fee2e2; color: #991b1b; }",
    ".fact.kind { background: #e0f2fe; color: #075985; }",
    ".fact.partial { background: #fef3c7; color: #92400e; }",
    ".quote { margin-top: 6px; }",
    ".quote summary { cursor: pointer; color: var(--ink); font-size: 13.5px; font-weight: 600; width: fit-content;",
    "  padding: 2px 0; border-radius: 4px; }",
    ".quote summary:hover { text-decoration: underline; }",
    ".quote blockquote { margin-top: 6px; padding: 8px 12px; border-left: 3px solid var(--ink); background: #fff;",
    "  border-radius: 0 8px 8px 0; font-size: 14px; white-space: pre-line; color: var(--text); }",

    /* notices */
    ".notice { display: flex; gap: 10px; align-items: flex-start; }",
    ".notice > .icon { color: var(--ink); margin-top: 2px; }",
    ".notice.warn > .icon { color: #b45309; }",
    ".msg.error { border-color: #f3c98b; background: #fffaf0; }",
    ".error-title { font-weight: 700; }",
    ".error-detail { color: var(--text); margin-top: 2px; font-size: 14px; }",
    ".retry, .primary { display: inline-flex; align-items: center; gap: 6px; margin-top: 10px; min-height: 40px;",
    "  padding: 0 16px; border: 0; border-radius: 10px; background: var(--accent); color: var(--on-accent); font-weight: 600; }",
    ".retry .icon { width: 18px; height: 18px; }",
    ".msg.abstained .suggestions { margin-top: 12px; }",

    /* feedback */
    ".feedback { margin-top: 12px; padding-top: 10px; border-top: 1px dashed var(--line); }",
    ".votes { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }",
    ".votes-label { font-size: 13px; color: var(--muted); margin-right: 4px; }",
    ".vote { display: grid; place-items: center; width: 40px; height: 36px; border: 1px solid var(--line);",
    "  border-radius: 10px; background: #fff; color: var(--muted); }",
    ".vote .icon { width: 18px; height: 18px; }",
    ".vote:hover { color: var(--ink); border-color: var(--ink); }",
    ".vote[aria-pressed=true] { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }",
    ".feedback-form { display: flex; flex-direction: column; gap: 6px; margin-top: 10px; }",
    ".feedback-form label { font-size: 13.5px; font-weight: 600; }",
    ".feedback-form textarea { width: 100%; resize: vertical; min-height: 60px; padding: 8px 10px; font-size: 15px;",
    "  border: 1px solid #94a3b8; border-radius: 10px; background: #fff; }",
    ".row { display: flex; align-items: center; gap: 12px; }",
    ".row .primary { margin-top: 0; }",
    ".link { border: 0; background: none; color: var(--ink); font-weight: 600; padding: 8px 4px; text-decoration: underline; }",
    ".feedback-status { font-size: 13.5px; color: var(--muted); margin-top: 6px; }",
    ".feedback-status:empty { display: none; }",
    ".feedback-status.done { color: #166534; font-weight: 600; margin-top: 0; }",

    /* composer */
    ".dock { flex: none; background: #fff; border-top: 1px solid var(--line); padding: 10px 12px 8px; }",
    "[data-mode=page] .dock { padding: 12px max(16px, calc((100% - 760px) / 2)) 10px; }",
    ".composer { display: flex; align-items: flex-end; gap: 8px; }",
    ".composer textarea { flex: 1; min-width: 0; resize: none; max-height: 140px; min-height: 46px; padding: 11px 14px;",
    "  font-size: 16px; line-height: 1.45; border: 1px solid #94a3b8; border-radius: 12px; background: #fff; }",
    ".composer textarea::placeholder { color: #64748b; }",
    ".composer textarea:focus-visible { outline-offset: 0; border-color: var(--ink); }",
    ".send { flex: none; display: grid; place-items: center; width: 46px; height: 46px; border: 0; border-radius: 12px;",
    "  background: var(--accent); color: var(--on-accent); }",
    ".disclaimer { font-size: 12px; color: var(--muted); text-align: center; margin-top: 6px; }",

    /* small screens: the launcher shrinks to an icon, the panel takes the whole screen */
    "@media (max-width: 480px) {",
    "  .launcher { right: 16px; bottom: 16px; width: 56px; padding: 0; justify-content: center; }",
    "  .launcher-text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    "  [data-mode=launcher] .panel { inset: 0; width: auto; height: auto; border-radius: 0; border: 0; }",
    "  .is-open .launcher { display: none; }",

    "  .log { padding: 14px 12px 8px; }",
    "  .msg.bot { padding: 12px; }",
    "  .source { padding: 8px; gap: 8px; }",
    "}",
    "@media (prefers-reduced-motion: reduce) {",
    "  .frame *, .frame *::before, .frame *::after { animation: none !important; transition: none !important;",
    "    scroll-behavior: auto !important; }",
    "  .dots i { opacity: .7; }",
    "}",
    "@media (forced-colors: active) {",
    "  .launcher, .send, .retry, .primary, .vote, .marker, .chip { border: 1px solid ButtonText; }",
    "}",
  ].join("\n");

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
