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

  // The page's own words in each conversation language. The server says which language the conversation is
  // in with every answer; before the first message the browser's language decides.
  const WORDS = {
    en: {
      title: "Help Chat", exit: "Quick exit", exitLabel: "Quick exit: leave this site now",
      placeholder: "Type a message…", send: "Send", label: "Your message", log: "Conversation",
      hint: 'Type "person" any time to reach a human. In danger now? Call 911.',
      greeting: "Hi. I can help you find a safe place to stay, food, health care, legal help or someone to talk to in California. You don't need to give your name. What do you need?",
      error: "Something went wrong. If you need someone now, call or text 988, or call 911 in danger.",
      offline: "I can't reach the server. If you need someone now, call or text 988, or call 911 in danger.",
      call: "Call", text: "Text", website: "Website", openNow: "Open now", opens: "Opens", closedNow: "Closed now",
      away: (miles) => `${miles} mi away`, checked: "checked", source: "source", advocate: "Advocate",
      categories: {
        shelter: "Place to stay", drop_in: "Drop-in", food: "Food", medical: "Health care",
        sexual_health: "Sexual health", mental_health: "Counseling", legal: "Legal help",
        hotline: "24/7 line", csec_services: "Survivor support", caregiver_support: "Caregiver support",
      },
    },
    es: {
      title: "Chat de ayuda", exit: "Salida rápida", exitLabel: "Salida rápida: sal de este sitio ahora",
      placeholder: "Escribe un mensaje…", send: "Enviar", label: "Tu mensaje", log: "Conversación",
      hint: 'Escribe "persona" cuando quieras para hablar con alguien. ¿Estás en peligro? Llama al 911.',
      greeting: "Hola. Te puedo ayudar a encontrar un lugar seguro para quedarte, comida, atención médica, ayuda legal o alguien con quien hablar en California. No tienes que decir tu nombre. ¿Qué necesitas?",
      error: "Algo salió mal. Si necesitas a alguien ahorita, llama o manda un texto al 988 (marca 2 para español), o llama al 911 si estás en peligro.",
      offline: "No me puedo conectar. Si necesitas a alguien ahorita, llama o manda un texto al 988 (marca 2 para español), o llama al 911 si estás en peligro.",
      call: "Llamar al", text: "Mandar texto al", website: "Sitio web", openNow: "Abierto ahora", opens: "Abre",
      closedNow: "Cerrado ahora", away: (miles) => `a ${miles} millas`, checked: "revisado", source: "fuente",
      advocate: "Defensora",
      categories: {
        shelter: "Lugar para quedarte", drop_in: "Centro de día", food: "Comida", medical: "Atención médica",
        sexual_health: "Salud sexual", mental_health: "Consejería", legal: "Ayuda legal",
        hotline: "Línea 24/7", csec_services: "Apoyo para sobrevivientes", caregiver_support: "Apoyo para cuidadores",
      },
    },
  };
  const browserLanguages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  let language = /^es\b/i.test(String(browserLanguages[0] || "")) ? "es" : "en";
  let words = WORDS[language];

  function setLanguage(next) {
    if (!WORDS[next]) return;
    language = next;
    words = WORDS[next];
    document.documentElement.lang = next;
    document.body.dataset.language = next;
    document.getElementById("chat-title").textContent = words.title;
    exitButton.textContent = words.exit;
    exitButton.setAttribute("aria-label", words.exitLabel);
    input.placeholder = words.placeholder;
    sendButton.textContent = words.send;
    document.getElementById("text-label").textContent = words.label;
    document.getElementById("hint").textContent = words.hint;
    log.setAttribute("aria-label", words.log);
  }

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
      contact.appendChild(href ? link(href, `${words.call} ${resource.phone}`) : el("span", null, resource.phone));
    }
    if (resource.text) {
      const href = smsHref(resource.text);
      const label = `${words.text} ${resource.text}`;
      contact.appendChild(href ? link(href, label) : el("span", null, label));
    }
    if (!resource.phone && !resource.text && resource.url) {
      contact.appendChild(link(resource.url, words.website));
    }
    if (contact.childNodes.length) card.appendChild(contact);

    if (resource.address) card.appendChild(el("p", "address", resource.address));

    const status = el("p", "status");
    if (resource.open_now === true) status.appendChild(el("span", "badge open", words.openNow));
    if (resource.open_now === false) {
      status.appendChild(el("span", "badge closed", resource.opens_next ? `${words.opens} ${resource.opens_next}` : words.closedNow));
    }
    if (resource.hours) status.appendChild(document.createTextNode(` ${resource.hours}`));
    if (status.childNodes.length) card.appendChild(status);

    const meta = el("p", "meta");
    const category = words.categories[resource.category] || "";
    const bits = [];
    if (category) bits.push(category);
    if (typeof resource.distance_km === "number") bits.push(words.away((resource.distance_km * 0.621).toFixed(1)));
    if (resource.verified_on) bits.push(`${words.checked} ${resource.verified_on}`);
    meta.textContent = bits.join(" · ");
    if (resource.source_url && /^https?:\/\//.test(resource.source_url)) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(link(resource.source_url, words.source));
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
      bubble.appendChild(el("span", "who", words.advocate));
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

  function messageKey() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A phone on a weak signal loses connections: the same message (same key) is sent again a few times, and
  // the server stores it once and answers it with the replies it got the first time.
  async function postMessage(text) {
    const url = `/api/conversations/${encodeURIComponent(conversation.conversation_id)}/messages`;
    const body = JSON.stringify({ text, client_message_id: messageKey() });
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${conversation.token}` };
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await fetch(url, { method: "POST", credentials: "omit", headers, body });
        if ((response.status !== 502 && response.status !== 503) || attempt >= 2) return response;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }

  async function send(text, shownAs) {
    const trimmed = String(text || "").trim();
    if (!trimmed || busy) return;
    busy = true;
    sendButton.disabled = true;
    addUserBubble(shownAs || trimmed);
    try {
      if (!conversation) await startConversation();
      const response = await postMessage(trimmed);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError(body.error || words.error);
      } else {
        // The conversation's language first, so the cards in this answer already carry its labels.
        if (body.language) setLanguage(body.language);
        (body.messages || []).forEach(renderBotMessage);
        if (body.erased) {
          // The conversation no longer exists on the server: the next message starts a new one.
          conversation = null;
          if (stream) { const socket = stream; stream = null; socket.close(); }
        }
      }
    } catch (err) {
      showError(words.offline);
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

  setLanguage(language);
  renderBotMessage({ text: words.greeting });
})();
