// Web chat. The conversation id and token live only in this page's memory: no cookies, no localStorage,
// nothing left on a shared phone after Quick exit or closing the tab.
(() => {
  "use strict";

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const exitButton = document.getElementById("quick-exit");

  let conversation = null; // {conversation_id, token}
  let busy = false;
  // The live stream from the advocate desk: advocate messages and notices arrive here, in order, once each.
  let stream = null;
  let lastPushedId = 0;
  let retryMs = 500;

  const CATEGORY_LABELS = {
    shelter: "Place to stay", drop_in: "Drop-in", food: "Food", medical: "Health care",
    sexual_health: "Sexual health", mental_health: "Counseling", legal: "Legal help",
    hotline: "24/7 line", csec_services: "Survivor support", caregiver_support: "Caregiver support",
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function addUserBubble(text) {
    log.appendChild(el("div", "msg me", text));
    scrollToEnd();
  }

  function telHref(number) {
    const digits = String(number).replace(/[^\d+]/g, "");
    return digits ? `tel:${digits}` : null;
  }

  function smsHref(text) {
    // "HOME to 741741" → sms:741741?body=HOME ; a plain number → sms:number
    const keyword = /^\s*([A-Za-z]+)\s+to\s+([\d-]+)\s*$/.exec(text);
    if (keyword) return `sms:${keyword[2].replace(/-/g, "")}?body=${encodeURIComponent(keyword[1])}`;
    const digits = String(text).replace(/[^\d]/g, "");
    return digits ? `sms:${digits}` : null;
  }

  function link(href, label) {
    const a = el("a", null, label);
    a.href = href;
    a.rel = "noopener noreferrer";
    return a;
  }

  function renderCard(resource) {
    const card = el("article", "card");
    card.dataset.category = resource.category || "";
    card.appendChild(el("h3", null, resource.name));
    if (resource.organization && resource.organization !== resource.name) {
      card.appendChild(el("p", "org", resource.organization));
    }
    if (resource.alert) card.appendChild(el("p", "alert", resource.alert));
    if (resource.description) card.appendChild(el("p", null, resource.description));

    const contact = el("p", "contact");
    if (resource.phone) {
      const href = telHref(resource.phone_dial || resource.phone);
      contact.appendChild(href ? link(href, `Call ${resource.phone}`) : el("span", null, resource.phone));
    }
    if (resource.text) {
      const href = smsHref(resource.text);
      contact.appendChild(href ? link(href, `Text ${resource.text}`) : el("span", null, `Text ${resource.text}`));
    }
    if (!resource.phone && !resource.text && resource.url) {
      contact.appendChild(link(resource.url, "Website"));
    }
    if (contact.childNodes.length) card.appendChild(contact);

    if (resource.address) card.appendChild(el("p", "address", resource.address));

    const status = el("p", "status");
    if (resource.open_now === true) status.appendChild(el("span", "badge open", "Open now"));
    if (resource.open_now === false) {
      status.appendChild(el("span", "badge closed", resource.opens_next ? `Opens ${resource.opens_next}` : "Closed now"));
    }
    if (resource.hours) status.appendChild(document.createTextNode(` ${resource.hours}`));
    if (status.childNodes.length) card.appendChild(status);

    const meta = el("p", "meta");
    const label = CATEGORY_LABELS[resource.category] || "";
    const bits = [];
    if (label) bits.push(label);
    if (typeof resource.distance_km === "number") bits.push(`${(resource.distance_km * 0.621).toFixed(1)} mi away`);
    if (resource.verified_on) bits.push(`checked ${resource.verified_on}`);
    meta.textContent = bits.join(" · ");
    if (resource.source_url && /^https?:\/\//.test(resource.source_url)) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(link(resource.source_url, "source"));
    }
    card.appendChild(meta);
    return card;
  }

  function renderBotMessage(message) {
    if (message.text) log.appendChild(el("div", "msg bot", message.text));
    if (Array.isArray(message.resources) && message.resources.length) {
      const cards = el("div", "cards");
      message.resources.forEach((r) => cards.appendChild(renderCard(r)));
      log.appendChild(cards);
    }
    if (Array.isArray(message.buttons) && message.buttons.length) {
      const row = el("div", "buttons");
      message.buttons.forEach((b) => {
        const button = el("button", null, b.title);
        button.type = "button";
        button.addEventListener("click", () => send(b.payload, b.title));
        row.appendChild(button);
      });
      log.appendChild(row);
    }
    scrollToEnd();
  }

  function renderPushed(message) {
    if (!message || typeof message.id !== "number" || message.id <= lastPushedId) return;
    lastPushedId = message.id;
    if (message.sender === "advocate") {
      const bubble = el("div", "msg advocate");
      bubble.appendChild(el("span", "who", "Advocate"));
      if (message.text) bubble.appendChild(el("span", null, message.text));
      log.appendChild(bubble);
      if (Array.isArray(message.resources) && message.resources.length) {
        const cards = el("div", "cards");
        message.resources.forEach((r) => cards.appendChild(renderCard(r)));
        log.appendChild(cards);
      }
      scrollToEnd();
    } else {
      renderBotMessage({ text: message.text, buttons: message.buttons, resources: message.resources });
    }
  }

  function openStream() {
    if (!conversation || stream) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const id = encodeURIComponent(conversation.conversation_id);
    const query = `token=${encodeURIComponent(conversation.token)}&after=${lastPushedId}`;
    const socket = new WebSocket(`${scheme}://${window.location.host}/api/conversations/${id}/stream?${query}`);
    stream = socket;
    socket.addEventListener("open", () => { retryMs = 500; });
    socket.addEventListener("message", (event) => {
      let data = null;
      try { data = JSON.parse(event.data); } catch (err) { return; }
      if (data.type === "message") renderPushed(data.message);
      if (data.type === "state") document.body.dataset.handoff = data.state;
    });
    socket.addEventListener("close", () => {
      if (stream !== socket) return;
      stream = null;
      if (!conversation) return;
      setTimeout(openStream, retryMs);
      retryMs = Math.min(retryMs * 2, 8000);
    });
  }

  function showError(text) {
    log.appendChild(el("div", "msg error", text));
    scrollToEnd();
  }

  async function startConversation() {
    const response = await fetch("/api/conversations", { method: "POST", credentials: "omit" });
    if (!response.ok) throw new Error(`start failed: ${response.status}`);
    conversation = await response.json();
    openStream();
  }

  async function send(text, shownAs) {
    const trimmed = String(text || "").trim();
    if (!trimmed || busy) return;
    busy = true;
    sendButton.disabled = true;
    addUserBubble(shownAs || trimmed);
    try {
      if (!conversation) await startConversation();
      const response = await fetch(`/api/conversations/${encodeURIComponent(conversation.conversation_id)}/messages`, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${conversation.token}` },
        body: JSON.stringify({ text: trimmed }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError(body.error || "Something went wrong. If you need someone now, call or text 988, or call 911 in danger.");
      } else {
        (body.messages || []).forEach(renderBotMessage);
        if (body.erased) {
          // The conversation no longer exists on the server: the next message starts a new one.
          conversation = null;
          if (stream) { const socket = stream; stream = null; socket.close(); }
        }
      }
    } catch (err) {
      showError("I can't reach the server. If you need someone now, call or text 988, or call 911 in danger.");
    } finally {
      busy = false;
      sendButton.disabled = false;
      input.focus();
    }
  }

  function quickExit() {
    // Forget everything first, then leave without adding a history entry to come back to.
    conversation = null;
    if (stream) { const socket = stream; stream = null; socket.close(); }
    log.replaceChildren();
    input.value = "";
    document.title = "Weather";
    window.location.replace(exitButton.dataset.exitUrl || "about:blank");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  exitButton.addEventListener("click", quickExit);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") quickExit();
  });

  renderBotMessage({
    text: "Hi. I can help you find a safe place to stay, food, health care, legal help or someone to talk to in California. You don't need to give your name. What do you need?",
  });
})();
