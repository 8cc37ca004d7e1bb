/*!
 * Ryggvett web chat widget: plain modern JavaScript, no build step, no framework.
 *
 * Embed it on a clinic page with ONE script tag:
 *
 *   <script src="https://assistant.example-clinic.no/widget/ryggvett-chat.js"
 *           data-server="https://assistant.example-clinic.no" data-lang="nb"
 *           data-title="Spør om ryggen" data-accent="#0b5d4b" defer></script>
 *
 *   data-server  URL of the Rasa server (its socket.io channel, credentials.yml `socketio`).
 *                Default: the origin this script was loaded from.
 *   data-lang    "nb" (default) or "en": the interface language. It is sent as
 *                metadata.language with the first (init) message of a conversation.
 *   data-title   Title of the panel and text of the launcher button. Default per language.
 *   data-accent  Brand colour, #rgb or #rrggbb (default #0b5d4b). Text on it is white or
 *                near-black, whichever reaches WCAG AA 4.5:1; if neither does, the accent is
 *                darkened until white does.
 *   data-reply-timeout  Optional: milliseconds to wait for an answer before a polite
 *                "no answer" notice (default 20000).
 *
 * The widget loads socket.io.min.js itself from the folder this script came from
 * (/widget/socket.io.min.js next to /widget/ryggvett-chat.js), so one tag is all it takes.
 * A page with a Content-Security-Policy must allow:
 *   script-src  the widget's origin;
 *   connect-src the Rasa server, in both forms: https://host and wss://host (http/ws locally).
 * No inline style is needed: the widget lives in an open Shadow DOM and styles it with a
 * constructed stylesheet (a <style> element only as a fallback for old browsers, which
 * would then need style-src 'unsafe-inline').
 *
 * Storage: the session id and the transcript (messages, pending quick replies, feedback
 * given, whether the panel was open) are kept in sessionStorage, keyed by server URL, so
 * a page reload or a click to another page of the clinic's site keeps the conversation.
 * Deliberately NOT localStorage: patients often use shared computers (a waiting room, a
 * library, the family PC), and what they wrote about their health must not still be on
 * screen for the next person. sessionStorage is per tab and is gone when the tab closes.
 *
 * Rasa 3.6 socket.io protocol: on connect emit `session_request` {session_id}; the server
 * answers `session_confirm`; messages go out as `user_uttered` {message, session_id,
 * metadata} and come back as `bot_uttered` {text, quick_replies?, attachment?}, several
 * per turn (Rasa sends each paragraph of a reply as its own event).
 *
 * Page API: window.RyggvettChat.open(), .close(), .reset(); ._socket is the socket.io
 * socket (for tests).
 *
 * Security: everything that comes from the server is rendered with text nodes and
 * textContent only, never innerHTML; http(s) URLs in bot text become links built with
 * DOM APIs (other schemes stay plain text).
 */
(function () {
  "use strict";

  if (window.RyggvettChat) return; // the script was included twice

  const script =
    document.currentScript || document.querySelector('script[src*="ryggvett-chat"][data-server], script[src*="ryggvett-chat"]');
  const scriptUrl = new URL((script && script.getAttribute("src")) || "ryggvett-chat.js", document.baseURI);
  const options = (script && script.dataset) || {};

  /** Every interface text, in bokmål and English. */
  const TEXTS = {
    nb: {
      title: "Spør om ryggen",
      open: "åpne chat",
      close: "Lukk chat",
      startOver: "Start på nytt",
      placeholder: "Skriv spørsmålet ditt …",
      inputLabel: "Melding til Ryggvett",
      send: "Send",
      conversation: "Samtale med Ryggvett",
      you: "Du:",
      bot: "Ryggvett:",
      typing: "Ryggvett skriver …",
      helpful: "Nyttig svar",
      notHelpful: "Ikke nyttig",
      feedbackGroup: "Var svaret nyttig?",
      quickReplies: "Svaralternativer",
      newWindow: "(åpnes i nytt vindu)",
      attachment: "Åpne vedlegg",
      illustration: "Illustrasjon av øvelsen",
      reconnecting: "Forbindelsen ble brutt. Kobler til igjen …",
      unavailable: "Chatten er ikke tilgjengelig akkurat nå. Prøv igjen senere.",
      noAnswer: "Beklager, det kom ikke noe svar. Prøv igjen om litt.",
    },
    en: {
      title: "Ask about your back",
      open: "open chat",
      close: "Close chat",
      startOver: "Start over",
      placeholder: "Type your question …",
      inputLabel: "Message to Ryggvett",
      send: "Send",
      conversation: "Conversation with Ryggvett",
      you: "You:",
      bot: "Ryggvett:",
      typing: "Ryggvett is typing …",
      helpful: "Helpful",
      notHelpful: "Not helpful",
      feedbackGroup: "Was this answer helpful?",
      quickReplies: "Suggested replies",
      newWindow: "(opens in a new window)",
      attachment: "Open attachment",
      illustration: "Illustration of the exercise",
      reconnecting: "Connection lost. Reconnecting …",
      unavailable: "The chat is not available right now. Please try again later.",
      noAnswer: "Sorry, no answer came. Please try again in a moment.",
    },
  };

  const LANG = Object.prototype.hasOwnProperty.call(TEXTS, (options.lang || "").toLowerCase())
    ? options.lang.toLowerCase()
    : "nb";
  const T = TEXTS[LANG];
  const SERVER = (options.server || scriptUrl.origin).replace(/\/+$/, "");
  const TITLE = (options.title || "").trim() || T.title;
  const DEFAULT_ACCENT = "#0b5d4b";
  const INIT_PAYLOAD = "/greet";
  const USER_EVENT = "user_uttered";
  const BOT_EVENT = "bot_uttered";
  const STORAGE_KEY = "ryggvett-chat:v1:" + SERVER;
  const RATED_TEXT_MAX = 500;
  const MAX_STORED_MESSAGES = 300;
  const REPLY_IDLE_MS = 1500; // the typing dots stay this long after the latest bot message
  const REPLY_TIMEOUT_MS = Math.max(1000, Number(options.replyTimeout) || 20000);

  // ---------------------------------------------------------------- colours (WCAG)

  const WHITE = [255, 255, 255];
  const NEAR_BLACK = [17, 24, 39]; // #111827
  const BOT_BUBBLE = [238, 242, 241]; // #eef2f1, the lightest background links sit on besides white
  const AA = 4.5;

  function parseHex(value) {
    const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
    if (!match) return null;
    let hex = match[1];
    if (hex.length === 3) hex = hex.replace(/./g, (c) => c + c);
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function toHex(rgb) {
    return "#" + rgb.map((v) => v.toString(16).padStart(2, "0")).join("");
  }

  /** WCAG 2 relative luminance of an sRGB colour. */
  function luminance(rgb) {
    const [r, g, b] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    const la = luminance(a);
    const lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function darken(rgb, fraction) {
    return rgb.map((v) => Math.round(v * (1 - fraction)));
  }

  /**
   * The accent, the text colour on it (white or near-black, whichever contrasts more,
   * the accent darkened until one reaches 4.5:1), and an "ink" version of the accent
   * dark enough for links, outlines and quick replies on white and on bot bubbles.
   */
  function paletteFor(value) {
    let accent = parseHex(value) || parseHex(DEFAULT_ACCENT);
    let onAccent = WHITE;
    for (let i = 0; i < 60; i++) {
      onAccent = contrast(accent, WHITE) >= contrast(accent, NEAR_BLACK) ? WHITE : NEAR_BLACK;
      if (contrast(accent, onAccent) >= AA) break;
      accent = darken(accent, 0.06);
    }
    let ink = accent;
    for (let i = 0; i < 60 && contrast(ink, BOT_BUBBLE) < AA; i++) ink = darken(ink, 0.06);
    return { accent: toHex(accent), onAccent: toHex(onAccent), ink: toHex(ink) };
  }

  // ---------------------------------------------------------------- storage

  const storage = (() => {
    try {
      const s = window.sessionStorage;
      s.setItem("ryggvett-chat:probe", "1");
      s.removeItem("ryggvett-chat:probe");
      return s;
    } catch (_) {
      return null; // storage disabled: the conversation then lasts as long as the page
    }
  })();

  function freshState() {
    return { v: 1, sessionId: null, open: false, seq: 0, turn: 0, turnRateable: false, messages: [] };
  }

  function loadState() {
    try {
      const saved = JSON.parse((storage && storage.getItem(STORAGE_KEY)) || "null");
      if (saved && saved.v === 1 && Array.isArray(saved.messages)) {
        const state = Object.assign(freshState(), saved);
        state.messages = saved.messages.filter(
          (m) => m && (m.from === "user" || m.from === "bot") && typeof m.text === "string",
        );
        if (typeof state.sessionId !== "string") state.sessionId = null;
        return state;
      }
    } catch (_) {
      /* unreadable: start afresh */
    }
    return freshState();
  }

  function saveState() {
    if (!storage) return;
    if (state.messages.length > MAX_STORED_MESSAGES) state.messages.splice(0, state.messages.length - MAX_STORED_MESSAGES);
    try {
      storage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (_) {
      /* quota or privacy mode: keep going without persistence */
    }
  }

  function newSessionId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID().replace(/-/g, "");
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let state = loadState();

  // ---------------------------------------------------------------- DOM helpers

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zm-2 12H6v-2h12v2zm0-3H6V9h12v2zm0-3H6V6h12v2z",
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
    up:
      "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 " +
      "8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down:
      "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79" +
      ".44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
  };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value == null) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function visuallyHidden(text) {
    return el("span", { class: "sr", text });
  }

  const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  const TRAILING_PUNCTUATION = /[.,;:!?'")\]}»]+$/;

  /** An <a> for an http(s) URL, or null for anything else. */
  /** `raw` as a URL if it is an absolute http(s) one; null for anything else (javascript:, data:, junk). */
  function webUrl(raw) {
    let url;
    try {
      url = new URL(raw);
    } catch (_) {
      return null;
    }
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  }

  function linkFor(raw) {
    const url = webUrl(raw);
    if (!url) return null;
    const a = el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" });
    a.append(document.createTextNode(raw), visuallyHidden(" " + T.newWindow));
    return a;
  }

  /** An <img> for an http(s) image URL (exercise illustrations); null for anything else. */
  function imageFor(raw) {
    const url = webUrl(raw);
    if (!url) return null;
    return el("img", { src: url.href, alt: T.illustration, class: "illustration", loading: "lazy", referrerpolicy: "no-referrer" });
  }

  /** Appends `text` to `parent` as text nodes, with http(s) URLs as links. No HTML is parsed. */
  function appendText(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      let raw = match[0].replace(TRAILING_PUNCTUATION, "");
      // Keep a closing parenthesis that belongs to the URL, as in .../Foo_(bar).
      if (match[0].charAt(raw.length) === ")" && raw.split("(").length > raw.split(")").length) raw += ")";
      const link = raw.length > "https://".length ? linkFor(raw) : null;
      if (!link) continue;
      if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
      parent.append(link);
      last = match.index + raw.length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  // ---------------------------------------------------------------- styles

  const CSS = `
:host { all: initial !important; }
*, *::before, *::after { box-sizing: border-box; }
.rv { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.45; color: #1f2933; -webkit-text-size-adjust: 100%; }
.sr { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }
button, textarea { font: inherit; letter-spacing: normal; text-transform: none; margin: 0; }
button { cursor: pointer; }
button:disabled { cursor: default; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--rv-ink); outline-offset: 2px; }

.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: inline-flex; align-items: center;
  gap: 8px; min-height: 52px; max-width: calc(100vw - 40px); padding: 12px 20px 12px 16px; border: 0; border-radius: 999px;
  background: var(--rv-accent); color: var(--rv-on-accent); font-size: 16px; font-weight: 600; line-height: 1.2;
  box-shadow: 0 6px 20px rgba(0, 0, 0, .25); }
.launcher svg { width: 24px; height: 24px; flex: none; fill: currentColor; }
.launcher:focus-visible { outline: 3px solid var(--rv-ink); outline-offset: 3px;
  box-shadow: 0 0 0 3px #fff, 0 6px 20px rgba(0, 0, 0, .25); }

.panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483001; width: 380px; height: 600px;
  max-width: calc(100vw - 40px); max-height: calc(100vh - 108px); max-height: calc(100dvh - 108px);
  display: flex; flex-direction: column; overflow: hidden; background: #fff; border-radius: 14px;
  box-shadow: 0 12px 40px rgba(0, 0, 0, .28), 0 0 0 1px rgba(0, 0, 0, .06); }
.panel[hidden] { display: none; }

.header { flex: none; display: flex; align-items: center; gap: 6px; padding: 8px 8px 8px 16px;
  background: var(--rv-accent); color: var(--rv-on-accent); }
.title { flex: 1; min-width: 0; margin: 0; font-size: 17px; font-weight: 700; line-height: 1.3; overflow-wrap: anywhere; }
.header button { flex: none; display: inline-flex; align-items: center; justify-content: center; min-height: 40px;
  padding: 4px 10px; border: 2px solid currentColor; border-radius: 8px; background: transparent; color: inherit;
  font-size: 14px; font-weight: 600; line-height: 1.2; }
.header .close { width: 40px; padding: 0; border-color: transparent; }
.header .close svg { width: 24px; height: 24px; fill: currentColor; }
.header button:hover { background: rgba(127, 127, 127, .22); }
.header button:focus-visible { outline-color: var(--rv-on-accent); outline-offset: 1px; }

.status { flex: none; margin: 0; padding: 6px 16px; background: #fff4d6; color: #4d3300; font-size: 14px;
  border-bottom: 1px solid #e8c66a; }
.status:empty { padding: 0; border: 0; } /* stays in the accessibility tree, so changes are announced */

.scroller { flex: 1; min-height: 0; overflow-x: hidden; overflow-y: auto; overscroll-behavior: contain;
  padding: 16px 12px 8px; background: #fff; }
.log { display: flex; flex-direction: column; gap: 8px; }
.msg { display: flex; flex-direction: column; max-width: 88%; }
.msg.bot { align-self: flex-start; align-items: flex-start; }
.msg.user { align-self: flex-end; align-items: flex-end; }
.bubble { padding: 9px 13px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere; }
.bot .bubble { background: #eef2f1; color: #1f2933; border-bottom-left-radius: 4px; }
.user .bubble { background: var(--rv-accent); color: var(--rv-on-accent); border-bottom-right-radius: 4px; }
.bubble.has-image { background: #fff; border: 1px solid #d5dedb; padding: 6px; }
figure.chart { margin: 0; }
figure.chart figcaption { font-weight: 600; margin: 0 0 4px; }
figure.chart svg { display: block; width: 100%; max-width: 280px; height: auto; }
figure.chart .legend { display: flex; flex-direction: column; gap: 2px; font-size: 0.85em; }
figure.chart .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
.bubble img.illustration { display: block; width: 100%; max-width: 240px; height: auto; }
.bubble a { color: var(--rv-ink); text-decoration: underline; text-underline-offset: 2px; }
.notice { align-self: center; max-width: 100%; margin: 2px 8px; color: #4b5563; font-size: 14px; text-align: center; }

.replies { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.replies button { min-height: 40px; padding: 6px 14px; border: 2px solid var(--rv-ink); border-radius: 999px;
  background: #fff; color: var(--rv-ink); font-size: 15px; font-weight: 600; line-height: 1.25; text-align: left; }
.replies button:hover { background: #eef2f1; }

.feedback { display: flex; gap: 6px; margin-top: 4px; }
.feedback button { display: inline-flex; align-items: center; justify-content: center; width: 36px; height: 36px;
  padding: 0; border: 1px solid #8a949e; border-radius: 50%; background: #fff; color: #4b5563; }
.feedback button:hover:not(:disabled) { background: #eef2f1; color: #1f2933; }
.feedback svg { width: 18px; height: 18px; fill: currentColor; }
.feedback button[aria-pressed="true"] { border-color: var(--rv-ink); background: var(--rv-ink); color: #fff; }
.feedback button:disabled[aria-pressed="false"] { opacity: .45; }

.typing { display: none; width: fit-content; margin-top: 8px; padding: 13px 14px; border-radius: 16px;
  border-bottom-left-radius: 4px; background: #eef2f1; }
.typing.on { display: flex; gap: 5px; align-items: center; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: #5b6672; animation: rv-bounce 1.2s infinite ease-in-out; }
.dot:nth-child(2) { animation-delay: .15s; }
.dot:nth-child(3) { animation-delay: .3s; }
@keyframes rv-bounce { 0%, 80%, 100% { transform: translateY(0); opacity: .45; } 40% { transform: translateY(-4px); opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dot { animation: none; opacity: .8; } }

.composer { flex: none; display: flex; align-items: flex-end; gap: 8px; margin: 0; padding: 10px 12px;
  border-top: 1px solid #dde3e8; background: #fff; }
.composer textarea { flex: 1; min-width: 0; height: 44px; max-height: 132px; resize: none; padding: 10px 12px;
  border: 1px solid #6b7580; border-radius: 10px; background: #fff; color: #1f2933; font-size: 16px; line-height: 1.4; }
.composer textarea::placeholder { color: #5f6b76; opacity: 1; }
.composer textarea:focus-visible { outline-offset: 0; }
.send { flex: none; min-height: 44px; padding: 0 16px; border: 0; border-radius: 10px; background: var(--rv-accent);
  color: var(--rv-on-accent); font-size: 16px; font-weight: 700; }

@media (max-width: 480px) {
  .launcher { right: 12px; bottom: 12px; max-width: calc(100vw - 24px); }
  /* Full screen: inset 0 is 100vw x 100dvh without the scrollbar width that 100vw would add. */
  .panel { inset: 0; width: auto; height: auto; max-width: none; max-height: none; border-radius: 0; box-shadow: none; }
  .rv.open .launcher { display: none; }
  .msg { max-width: 92%; }
}
@media (forced-colors: active) {
  .panel, .bubble, .typing { border: 1px solid CanvasText; }
  .feedback button[aria-pressed="true"] { outline: 2px solid Highlight; }
}
`;

  function applyStyles(root) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (_) {
      root.append(el("style", { text: CSS })); // old browsers: needs style-src 'unsafe-inline' under a CSP
    }
  }

  // ---------------------------------------------------------------- the interface

  const host = el("div", { id: "ryggvett-chat", "data-ryggvett-chat": "" });
  const shadow = host.attachShadow({ mode: "open" });
  applyStyles(shadow);
  const palette = paletteFor(options.accent);
  host.style.setProperty("--rv-accent", palette.accent);
  host.style.setProperty("--rv-on-accent", palette.onAccent);
  host.style.setProperty("--rv-ink", palette.ink);

  const launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "rv-panel" }, [
    icon("chat"),
    el("span", { text: TITLE }),
    visuallyHidden(" – " + T.open),
  ]);
  const restartButton = el("button", { type: "button", class: "restart", text: T.startOver });
  const closeButton = el("button", { type: "button", class: "close", "aria-label": T.close }, [icon("close")]);
  const statusLine = el("p", { class: "status", role: "status" });
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": T.conversation });
  // The dots are decoration; screen readers hear the always-present status line instead.
  const typing = el("div", { class: "typing", "aria-hidden": "true" }, [
    el("span", { class: "dot" }),
    el("span", { class: "dot" }),
    el("span", { class: "dot" }),
  ]);
  const typingText = el("p", { class: "sr typing-status", role: "status" });
  const scroller = el("div", { class: "scroller" }, [log, typing, typingText]);
  const input = el("textarea", {
    id: "rv-input",
    rows: 1,
    maxlength: 1000,
    placeholder: T.placeholder,
    autocomplete: "off",
    enterkeyhint: "send",
  });
  const composer = el("form", { class: "composer", novalidate: true }, [
    el("label", { for: "rv-input", class: "sr", text: T.inputLabel }),
    input,
    el("button", { type: "submit", class: "send", text: T.send }),
  ]);
  const panel = el(
    "section",
    { id: "rv-panel", class: "panel", role: "dialog", "aria-modal": "false", "aria-label": TITLE, lang: LANG, hidden: true },
    [
      el("div", { class: "header" }, [el("h2", { class: "title", text: TITLE }), restartButton, closeButton]),
      statusLine,
      scroller,
      composer,
    ],
  );
  const wrapper = el("div", { class: "rv", lang: LANG }, [panel, launcher]);
  shadow.append(wrapper);

  /** Message id -> its DOM nodes. */
  const nodes = new Map();
  let isOpen = false;

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function setStatus(text) {
    if (statusLine.textContent !== text) statusLine.textContent = text;
  }

  function renderMessage(message) {
    const bubble = el("div", { class: "bubble" }, [visuallyHidden(message.from === "user" ? T.you + " " : T.bot + " ")]);
    if (message.from === "bot") {
      appendText(bubble, message.text);
      const image = message.image ? imageFor(message.image) : null;
      if (message.chart) {
        bubble.classList.add("has-image");
        bubble.append(chartFor(message.chart));
      } else if (image) {
        bubble.classList.add("has-image");
        bubble.append(image);
      } else if (message.attachment) {
        if (message.text) bubble.append(document.createTextNode("\n"));
        const link = linkFor(message.attachment);
        if (link) {
          link.firstChild.textContent = T.attachment;
          bubble.append(link);
        }
      }
    } else {
      bubble.append(document.createTextNode(message.text));
    }
    const node = el("div", { class: "msg " + message.from, "data-from": message.from, "data-id": message.id }, [bubble]);
    const entry = { node, replies: null, feedback: null };
    nodes.set(message.id, entry);
    log.append(node);
    if (message.from === "bot" && message.replies && message.replies.length && !message.repliesDone) {
      entry.replies = el(
        "div",
        { class: "replies", role: "group", "aria-label": T.quickReplies },
        message.replies.map((reply) => {
          const button = el("button", { type: "button", text: reply.title });
          button.addEventListener("click", () => {
            sendUserMessage(reply.payload, reply.title);
            input.focus();
          });
          return button;
        }),
      );
      node.append(entry.replies);
    }
  }

  function closeQuickReplies() {
    for (const message of state.messages) {
      if (message.replies && message.replies.length && !message.repliesDone) {
        message.repliesDone = true;
        const entry = nodes.get(message.id);
        if (entry && entry.replies) {
          entry.replies.remove();
          entry.replies = null;
        }
      }
    }
  }

  /** The text of a whole bot turn (all its bubbles), which is what a rating is about. */
  function turnText(turn) {
    return state.messages
      .filter((m) => m.from === "bot" && m.turn === turn && m.text)
      .map((m) => m.text)
      .join("\n\n")
      .slice(0, RATED_TEXT_MAX);
  }

  /** Thumbs go on the last bubble of each finished bot turn that answers the user. */
  function updateFeedback() {
    const lastOfTurn = new Map();
    for (const m of state.messages) if (m.from === "bot") lastOfTurn.set(m.turn, m.id);
    for (const m of state.messages) {
      if (m.from !== "bot") continue;
      const entry = nodes.get(m.id);
      if (!entry) continue;
      const wanted = Boolean(m.rateable) && lastOfTurn.get(m.turn) === m.id && !(waiting && m.turn === state.turn);
      if (wanted && !entry.feedback) {
        entry.feedback = el("div", { class: "feedback", role: "group", "aria-label": T.feedbackGroup }, [
          feedbackButton(m, "up"),
          feedbackButton(m, "down"),
        ]);
        entry.node.append(entry.feedback);
      } else if (!wanted && entry.feedback) {
        entry.feedback.remove();
        entry.feedback = null;
      }
      if (entry.feedback) {
        for (const button of entry.feedback.querySelectorAll("button")) {
          button.setAttribute("aria-pressed", String(m.rating === button.dataset.rating));
          button.disabled = Boolean(m.rating);
        }
      }
    }
  }

  function feedbackButton(message, rating) {
    const button = el("button", {
      type: "button",
      "data-rating": rating,
      "aria-pressed": "false",
      "aria-label": rating === "up" ? T.helpful : T.notHelpful,
      title: rating === "up" ? T.helpful : T.notHelpful,
    }, [icon(rating)]);
    button.addEventListener("click", () => rate(message, rating));
    return button;
  }

  function rate(message, rating) {
    if (message.rating) return;
    message.rating = rating;
    const ratedText = turnText(message.turn);
    updateFeedback();
    send(rating === "up" ? "/feedback_positive" : "/feedback_negative", {
      display: null,
      rateable: false,
      closeReplies: false,
      noticeOnTimeout: false,
      metadata: { feedback: { rating, rated_text: ratedText, widget: "ryggvett-chat" } },
    });
    input.focus();
  }

  function addMessage(message) {
    state.messages.push(message);
    renderMessage(message);
    saveState();
    scrollToEnd();
  }

  function showNotice(text) {
    log.append(el("p", { class: "notice", text }));
    scrollToEnd();
  }

  // ---------------------------------------------------------------- waiting for replies

  let waiting = false;
  let waitingNotice = true;
  let idleTimer = 0;
  let timeoutTimer = 0;

  function startWaiting(noticeOnTimeout) {
    waiting = true;
    waitingNotice = noticeOnTimeout;
    clearTimeout(idleTimer);
    clearTimeout(timeoutTimer);
    timeoutTimer = setTimeout(() => {
      const notice = waitingNotice;
      stopWaiting();
      if (notice) showNotice(T.noAnswer);
    }, REPLY_TIMEOUT_MS);
    typing.classList.add("on");
    typingText.textContent = T.typing;
    scrollToEnd();
  }

  function stopWaiting() {
    waiting = false;
    clearTimeout(idleTimer);
    clearTimeout(timeoutTimer);
    typing.classList.remove("on");
    typingText.textContent = "";
    updateFeedback();
  }

  function replyArrived() {
    if (!waiting) return;
    clearTimeout(timeoutTimer);
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopWaiting, REPLY_IDLE_MS);
  }

  // ---------------------------------------------------------------- socket.io

  let socket = null;
  let ready = false; // connected and the session confirmed, so replies reach this socket
  let outbox = [];
  let ioPromise = null;

  function loadSocketIo() {
    if (typeof window.io === "function") return Promise.resolve(window.io);
    if (!ioPromise) {
      ioPromise = new Promise((resolve, reject) => {
        const tag = document.createElement("script");
        tag.src = new URL("socket.io.min.js", scriptUrl).href;
        tag.async = true;
        tag.onload = () => (typeof window.io === "function" ? resolve(window.io) : reject(new Error("no io")));
        tag.onerror = () => reject(new Error("socket.io.min.js did not load"));
        document.head.append(tag);
      }).catch((error) => {
        ioPromise = null; // try again on the next open
        throw error;
      });
    }
    return ioPromise;
  }

  function connect() {
    if (socket) {
      if (!socket.connected && !socket.active) socket.connect();
      return;
    }
    if (!state.sessionId) {
      state.sessionId = newSessionId();
      saveState();
    }
    loadSocketIo().then(
      (io) => {
        if (socket) return;
        socket = io(SERVER, { path: "/socket.io/" });
        api._socket = socket;
        socket.on("connect", () => {
          ready = false;
          setStatus("");
          socket.emit("session_request", { session_id: state.sessionId });
        });
        socket.on("session_confirm", (confirmed) => {
          const id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
          if (typeof id === "string" && id && id !== state.sessionId) {
            state.sessionId = id;
            saveState();
          }
          ready = true;
          flush();
        });
        socket.on(BOT_EVENT, onBotMessage);
        socket.on("disconnect", (reason) => {
          ready = false;
          if (reason !== "io client disconnect") setStatus(T.reconnecting);
        });
        socket.on("connect_error", () => setStatus(T.reconnecting));
      },
      () => setStatus(T.unavailable),
    );
  }

  function flush() {
    while (ready && socket && socket.connected && outbox.length) {
      const { message, metadata } = outbox.shift();
      socket.emit(USER_EVENT, { message, session_id: state.sessionId, metadata });
    }
  }

  /**
   * Sends a message to the bot. `display` is the user bubble to show (null for none);
   * `rateable` says whether the bot's reply gets thumbs.
   */
  function send(message, { display, rateable, closeReplies = true, noticeOnTimeout = true, metadata = {} }) {
    if (closeReplies) closeQuickReplies();
    state.turn += 1;
    state.turnRateable = rateable;
    if (display != null) {
      state.seq += 1;
      addMessage({ id: state.seq, from: "user", text: display, turn: state.turn });
    } else {
      saveState();
    }
    startWaiting(noticeOnTimeout);
    outbox.push({ message, metadata });
    connect();
    flush();
  }

  function sendUserMessage(message, display) {
    send(message, { display, rateable: true });
  }

  function sendInit() {
    send(INIT_PAYLOAD, { display: null, rateable: false, metadata: { language: LANG } });
  }

  function onBotMessage(data) {
    if (!data || typeof data !== "object") return;
    const text = typeof data.text === "string" ? data.text : "";
    const replies = (Array.isArray(data.quick_replies) ? data.quick_replies : [])
      .filter((r) => r && typeof r.title === "string" && typeof r.payload === "string" && r.title.trim())
      .slice(0, 12)
      .map((r) => ({ title: r.title, payload: r.payload }));
    const attachment = attachmentUrl(data.attachment);
    const chart = chartData(data.chart);
    if (!text.trim() && !replies.length && !attachment && !chart) return;
    state.seq += 1;
    const message = { id: state.seq, from: "bot", text, turn: state.turn, rateable: Boolean(state.turnRateable) };
    if (replies.length) Object.assign(message, { replies, repliesDone: false });
    if (chart) message.chart = chart;
    if (attachment && isImage(data.attachment)) message.image = attachment;
    else if (attachment) message.attachment = attachment;
    addMessage(message);
    replyArrived();
    updateFeedback();
  }

  /**
   * A change-over-time chart sent as custom JSON {chart: {title, labels[], series: [{name, max, values[]}]}}:
   * checked field by field (numbers in range, strings cut short); anything else is dropped.
   */
  function chartData(raw) {
    if (!raw || typeof raw !== "object" || !Array.isArray(raw.labels) || !Array.isArray(raw.series)) return null;
    const labels = raw.labels.slice(-8).map((l) => String(l).slice(0, 12));
    const series = raw.series.slice(0, 2).map((s) => {
      const max = Number(s && s.max) > 0 ? Math.min(Number(s.max), 100) : 10;
      const values = (Array.isArray(s && s.values) ? s.values : []).slice(-8).map((v) => {
        const n = Number(v);
        return Number.isFinite(n) ? Math.max(0, Math.min(n, max)) : 0;
      });
      return { name: String((s && s.name) || "").slice(0, 80), max, values };
    });
    if (!labels.length || !series.length || series.some((s) => s.values.length !== labels.length)) return null;
    return { title: String(raw.title || "").slice(0, 80), labels, series };
  }

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text != null) node.textContent = text;
    return node;
  }

  /** Grouped bars, each series scaled to its own maximum, built with DOM calls (no markup parsed). */
  function chartFor(chart) {
    const colours = ["#8a5a00", "#0b5d4b"];
    const width = 260, height = 150, top = 10, bottom = 24, left = 8;
    const group = (width - left * 2) / chart.labels.length;
    const bar = Math.min(18, (group - 8) / chart.series.length);
    const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart" });
    const summary = chart.series
      .map((s) => `${s.name}: ${chart.labels.map((l, i) => `${l} ${s.values[i]}`).join(", ")}`)
      .join(". ");
    svg.append(svgEl("title", {}, `${chart.title}. ${summary}`));
    svg.append(svgEl("line", { x1: left, y1: height - bottom, x2: width - left, y2: height - bottom, stroke: "#9aa5a1" }));
    chart.labels.forEach((label, i) => {
      const x0 = left + i * group + (group - bar * chart.series.length) / 2;
      chart.series.forEach((s, j) => {
        const h = ((height - top - bottom) * s.values[i]) / s.max;
        const x = x0 + j * bar;
        svg.append(svgEl("rect", { x, y: height - bottom - h, width: bar - 2, height: Math.max(h, 1), fill: colours[j], rx: 2 }));
        svg.append(svgEl("text", { x: x + (bar - 2) / 2, y: height - bottom - h - 3, "text-anchor": "middle", "font-size": 10, fill: "#1f2933" }, String(s.values[i])));
      });
      svg.append(svgEl("text", { x: left + i * group + group / 2, y: height - 8, "text-anchor": "middle", "font-size": 10, fill: "#3d4a47" }, label));
    });
    const legend = el("div", { class: "legend" });
    chart.series.forEach((s, j) => {
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = colours[j];
      legend.append(el("span", { class: "key" }, [swatch, document.createTextNode(s.name)]));
    });
    const figure = el("figure", { class: "chart" }, [el("figcaption", { text: chart.title }), svg, legend]);
    return figure;
  }

  function isImage(attachment) {
    return Boolean(attachment && typeof attachment === "object" && attachment.type === "image");
  }

  /** The http(s) URL of an attachment (image or file), shown as a link; anything else is ignored. */
  function attachmentUrl(attachment) {
    const payload = attachment && typeof attachment === "object" ? attachment.payload : null;
    const url = payload && typeof payload === "object" ? payload.src || payload.url : null;
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  // ---------------------------------------------------------------- open, close, reset

  function open(focus = true) {
    if (!isOpen) {
      isOpen = true;
      panel.hidden = false;
      wrapper.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      state.open = true;
      saveState();
      connect();
      if (!state.messages.length && !waiting) sendInit();
      scrollToEnd();
    }
    if (focus) input.focus();
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    wrapper.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    saveState();
    launcher.focus();
  }

  /** Start over: forget the transcript, take a new session id, reconnect and greet again. */
  function reset() {
    stopWaiting();
    outbox = [];
    state = Object.assign(freshState(), { open: isOpen, sessionId: newSessionId() });
    saveState();
    nodes.clear();
    log.replaceChildren();
    setStatus("");
    if (socket) {
      // A new connection, so nothing addressed to the old session's room reaches us.
      ready = false;
      socket.disconnect();
      socket.connect();
    }
    if (isOpen) sendInit();
  }

  // ---------------------------------------------------------------- events

  launcher.addEventListener("click", () => (isOpen ? close() : open()));
  closeButton.addEventListener("click", close);
  restartButton.addEventListener("click", reset);
  wrapper.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen && !event.isComposing) {
      event.preventDefault();
      close();
    }
  });
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    fitInput();
    sendUserMessage(text, text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof composer.requestSubmit === "function") composer.requestSubmit();
      else composer.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  function fitInput() {
    input.style.height = "";
    if (input.scrollHeight > input.clientHeight) input.style.height = Math.min(input.scrollHeight + 2, 132) + "px";
  }
  input.addEventListener("input", fitInput);

  const api = { open: () => open(true), close, reset, _socket: null };
  window.RyggvettChat = api;

  function mount() {
    document.body.append(host);
    for (const message of state.messages) renderMessage(message);
    updateFeedback();
    if (state.open) open(false);
    else if (state.sessionId && state.messages.length) connect(); // keep receiving for this session
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
