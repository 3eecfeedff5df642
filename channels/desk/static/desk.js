// The advocate desk. The session cookie is HttpOnly; the CSRF token lives in this page's memory and goes
// with every state-changing request. Live updates come over the desk WebSocket; every list is also re-read
// from the API after a change, so a missed event only ever delays, never hides, a conversation.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const LEVEL_LABELS = { imminent: "IMMINENT", urgent: "urgent", concern: "concern", none: "" };
  const LEVEL_RANK = { imminent: 3, urgent: 2, concern: 1, none: 0 };
  let me = null;
  // The waiting list as last received: a full "queue" event replaces it, a "queue_item" event updates one
  // entry (kept in the server's order: crisis level, then longest waiting, then number).
  let queueItems = [];
  let openId = null;
  let openYours = false;
  let socket = null;
  let lastQuery = "";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function showError(text) {
    $("desk-error").textContent = text || "";
  }

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = me ? me.csrf : "";
    const response = await fetch(path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.assign("/desk/login");
      throw new Error("logged out");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `request failed (${response.status})`);
    return data;
  }

  function wait(seconds) {
    if (seconds < 60) return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function renderItem(item) {
    const li = el("li", `item level-${item.level}`);
    li.dataset.handoff = item.handoff_id;
    li.dataset.level = item.level;
    li.dataset.state = item.state;
    if (item.handoff_id === openId) li.classList.add("open");
    const head = el("div", "item-head");
    head.appendChild(el("span", `level badge-${item.level}`, LEVEL_LABELS[item.level] || "no crisis"));
    const state = item.state === "flagged" ? "flagged, with the bot" : item.state === "with_advocate" ? `with ${item.advocate || "an advocate"}` : "waiting";
    head.appendChild(el("span", "muted", `${state} · ${wait(item.waiting_s)}`));
    li.appendChild(head);
    const facts = el("div", "muted");
    facts.appendChild(languageBadge(item.language));
    const more = [item.channel];
    if (item.priority === "crisis") more.push("asked after a crisis reply");
    facts.appendChild(document.createTextNode(` · ${more.join(" · ")}`));
    li.appendChild(facts);
    if (item.needs && item.needs.length) li.appendChild(el("div", "needs", `looking for: ${needsText(item)}`));
    if (item.categories.length) li.appendChild(el("div", "cats", item.categories.join(", ").replace(/_/g, " ")));
    if (item.evidence.length) li.appendChild(el("div", "evidence", `“${item.evidence.join("”, “")}”`));
    li.addEventListener("click", () => openConversation(item.handoff_id));
    return li;
  }

  // The conversation's language, spelled out so a bilingual advocate can pick the Spanish ones at a glance.
  // The advocate writes in it themselves: nothing they send is translated.
  const LANGUAGE_NAMES = { en: "English", es: "Español (Spanish)" };

  function languageBadge(language) {
    const badge = el("span", `lang lang-${language || "en"}`, LANGUAGE_NAMES[language] || language || "English");
    badge.dataset.language = language || "en";
    return badge;
  }

  function needsText(item) {
    return (item.needs || []).join(", ").replace(/_/g, " ");
  }

  function renderList(list, items, empty) {
    list.replaceChildren(...(items.length ? items.map(renderItem) : [el("li", "empty", empty)]));
  }

  function setQueue(items) {
    const now = Date.now();
    queueItems = items.map((item) => ({ ...item, since: now - item.waiting_s * 1000 }));
    showQueue();
  }

  function showQueue() {
    const now = Date.now();
    queueItems.sort((a, b) => (LEVEL_RANK[b.level] || 0) - (LEVEL_RANK[a.level] || 0) || a.since - b.since
      || a.handoff_id - b.handoff_id);
    queueItems.forEach((item) => { item.waiting_s = Math.max(0, Math.round((now - item.since) / 1000)); });
    renderList($("queue"), queueItems, "Nobody is waiting.");
  }

  function updateQueueItem(item) {
    const known = queueItems.find((i) => i.handoff_id === item.handoff_id);
    const since = Date.now() - item.waiting_s * 1000;
    queueItems = queueItems.filter((i) => i.handoff_id !== item.handoff_id);
    if (item.state === "queued" || item.state === "flagged") queueItems.push({ ...item, since: known ? known.since : since });
    showQueue();
  }

  function forget(handoffId) {
    // The youth erased the conversation: it leaves every list, and an open transcript closes.
    queueItems = queueItems.filter((i) => i.handoff_id !== handoffId);
    showQueue();
    const mine = $("mine").querySelector(`[data-handoff="${handoffId}"]`);
    if (mine) mine.remove();
    if (!$("mine").children.length) renderList($("mine"), [], "None right now.");
    if (handoffId !== openId) return;
    openId = null;
    openYours = false;
    $("transcript").replaceChildren(el("p", "notice", "The youth deleted this conversation. There is nothing more to do here."));
    $("conversation").dataset.handoff = "";
    $("conv-state").textContent = "deleted";
    $("conv-meta").textContent = "";
    $("notes").replaceChildren();
    $("claim-box").hidden = true;
    $("own-tools").hidden = true;
    $("note-form").hidden = true;
  }

  async function refreshLists() {
    const data = await api("GET", "/desk/api/queue");
    setQueue(data.queue);
    renderList($("mine"), data.mine, "None right now.");
    $("on-duty-count").textContent = `(${data.on_duty} on duty)`;
    const open = [...data.queue, ...data.mine].find((i) => i.handoff_id === openId);
    if (open) showLevel(open.level);
  }

  function showLevel(level) {
    const badge = $("conv-level");
    badge.textContent = LEVEL_LABELS[level] || "no crisis";
    badge.className = `level badge-${level}`;
    badge.dataset.level = level;
  }

  function renderCard(card) {
    const box = el("article", "card");
    box.dataset.resource = card.id;
    box.appendChild(el("strong", null, card.name));
    const bits = [card.category, card.address, card.phone, card.hours].filter(Boolean);
    box.appendChild(el("div", "muted", bits.join(" · ")));
    return box;
  }

  function renderMessage(message) {
    const who = { user: "Youth", bot: "Bot", system: "Bot (gateway)", advocate: "Advocate", desk: "Notice" }[message.sender] || message.sender;
    const row = el("div", `msg from-${message.sender}`);
    row.dataset.id = message.id;
    const head = el("div", "msg-head", who);
    if (message.crisis && message.crisis.level && message.crisis.level !== "none") {
      head.appendChild(el("span", `level badge-${message.crisis.level}`, LEVEL_LABELS[message.crisis.level]));
      if (message.crisis.evidence && message.crisis.evidence.length) {
        head.appendChild(el("span", "evidence", ` “${message.crisis.evidence.join("”, “")}”`));
      }
    }
    row.appendChild(head);
    if (message.text) row.appendChild(el("div", "msg-text", message.text));
    (message.resources || []).forEach((card) => row.appendChild(renderCard(card)));
    return row;
  }

  function appendMessage(message) {
    const box = $("transcript");
    if (box.querySelector(`[data-id="${message.id}"]`)) return;
    box.appendChild(renderMessage(message));
    box.scrollTop = box.scrollHeight;
  }

  async function openConversation(handoffId) {
    showError("");
    openId = handoffId;
    let data;
    try {
      data = await api("GET", `/desk/api/handoffs/${handoffId}`);
    } catch (err) {
      showError(err.message);
      return;
    }
    const h = data.handoff;
    openYours = data.yours;
    $("conversation").hidden = false;
    $("conversation").dataset.handoff = handoffId;
    $("conv-title").textContent = `Conversation ${h.handoff_id}`;
    $("conv-state").textContent = h.state === "with_advocate" ? `with ${h.advocate || "an advocate"}` : h.state;
    const meta = [h.channel, h.needs && h.needs.length ? `looking for: ${needsText(h)}` : "",
      h.categories.join(", ").replace(/_/g, " ")].filter(Boolean).join(" · ");
    $("conv-meta").replaceChildren(languageBadge(h.language), document.createTextNode(` · ${meta}`));
    $("note-form").hidden = false;
    showLevel(h.level);
    $("transcript").replaceChildren();
    data.messages.forEach(appendMessage);
    $("notes").replaceChildren(...data.notes.map((n) => el("li", null, `${n.author}: ${n.text}`)));
    $("claim-box").hidden = !(h.state === "queued" || h.state === "flagged");
    $("dismiss").hidden = h.state !== "flagged";
    $("own-tools").hidden = !openYours;
    document.querySelectorAll(".item").forEach((li) => li.classList.toggle("open", Number(li.dataset.handoff) === openId));
    if (openYours) loadAdvocates();
  }

  async function loadAdvocates() {
    const data = await api("GET", "/desk/api/advocates");
    $("transfer-to").replaceChildren(...data.advocates.map((a) => {
      const option = el("option", null, `${a.name}${a.on_duty ? "" : " (off duty)"}`);
      option.value = a.id;
      return option;
    }));
  }

  async function act(path, body) {
    showError("");
    try {
      const result = await api("POST", path, body === undefined ? {} : body);
      await refreshLists();
      return result;
    } catch (err) {
      showError(err.message);
      return null;
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/desk/ws`);
    socket.addEventListener("open", () => {
      $("live").textContent = "live";
      $("live").classList.add("on");
      refreshLists().catch(() => {});
    });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "queue") {
        setQueue(data.items);
        const open = data.items.find((i) => i.handoff_id === openId);
        if (open) showLevel(open.level);
      } else if (data.type === "queue_item") {
        updateQueueItem(data.item);
        if (data.item.handoff_id === openId) showLevel(data.item.level);
      } else if (data.type === "handoff" && data.state === "erased") {
        forget(data.handoff_id);
      } else if (data.type === "message" && data.handoff_id === openId) {
        appendMessage(data.message);
        if (data.message.crisis) refreshLists().catch(() => {});
      } else if (data.type === "alert") {
        refreshLists().catch(() => {});
        if (data.handoff_id === openId) showLevel(data.level);
      } else if (data.type === "handoff" || data.type === "transferred") {
        refreshLists().catch(() => {});
        if (data.handoff_id === openId) openConversation(openId);
      } else if (data.type === "note" && data.handoff_id === openId) {
        openConversation(openId);
      }
    });
    socket.addEventListener("close", () => {
      $("live").textContent = "reconnecting…";
      $("live").classList.remove("on");
      setTimeout(connect, 1000);
    });
  }

  function setDuty(onDuty) {
    me.on_duty = onDuty;
    $("duty").textContent = onDuty ? "Go off duty" : "Go on duty";
    $("duty").dataset.onDuty = onDuty ? "yes" : "no";
  }

  async function start() {
    me = await api("GET", "/desk/api/me");
    $("who").textContent = `${me.name} (${me.role})`;
    setDuty(me.on_duty);
    if (me.role === "supervisor") {
      $("audit-panel").hidden = false;
      $("insights-link").hidden = false;
      $("mine-title").textContent = "With advocates";
    }
    me.canned.forEach((c, index) => {
      const option = el("option", null, c.title);
      option.value = String(index);
      $("canned").appendChild(option);
    });
    me.outcomes.forEach((tag) => {
      const label = el("label", "tag");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = tag;
      label.appendChild(box);
      label.appendChild(document.createTextNode(` ${tag.replace(/_/g, " ")}`));
      $("outcomes").appendChild(label);
    });
    connect();
  }

  $("duty").addEventListener("click", async () => {
    const result = await act("/desk/api/duty", { on_duty: !me.on_duty });
    if (result) setDuty(result.on_duty);
  });
  $("logout").addEventListener("click", async () => {
    await act("/desk/logout");
    window.location.assign("/desk/login");
  });
  $("claim").addEventListener("click", async () => {
    if (await act(`/desk/api/handoffs/${openId}/claim`)) {
      setDuty(true);
      await openConversation(openId);
    }
  });
  $("dismiss").addEventListener("click", async () => {
    if (await act(`/desk/api/handoffs/${openId}/dismiss`)) $("conversation").hidden = true;
  });
  $("canned").addEventListener("change", () => {
    const choice = me.canned[Number($("canned").value)];
    if (choice) $("reply").value = choice.text;
    $("canned").value = "";
    $("reply").focus();
  });
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return;
    const result = await act(`/desk/api/handoffs/${openId}/messages`, { text });
    if (result) {
      $("reply").value = "";
      appendMessage(result.message);
    }
  });
  $("reply").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    lastQuery = $("search").value.trim();
    $("search-hint").textContent = "";
    try {
      const data = await api("GET", `/desk/api/directory?q=${encodeURIComponent(lastQuery)}`);
      $("search-hint").textContent = data.hint || (data.resources.length ? "" : "Nothing found.");
      $("results").replaceChildren(...data.resources.map((card) => {
        const box = renderCard(card);
        const send = el("button", "send-card", "Send to youth");
        send.type = "button";
        send.addEventListener("click", async () => {
          const result = await act(`/desk/api/handoffs/${openId}/resources`, { resource_id: card.id, q: lastQuery });
          if (result) appendMessage(result.message);
        });
        box.appendChild(send);
        return box;
      }));
    } catch (err) {
      $("search-hint").textContent = err.message;
    }
  });
  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note").value.trim();
    if (!text) return;
    if (await act(`/desk/api/handoffs/${openId}/notes`, { text })) {
      $("note").value = "";
      await openConversation(openId);
    }
  });
  $("transfer").addEventListener("click", async () => {
    const to = Number($("transfer-to").value);
    if (to && await act(`/desk/api/handoffs/${openId}/transfer`, { to })) await openConversation(openId);
  });
  $("requeue").addEventListener("click", async () => {
    if (await act(`/desk/api/handoffs/${openId}/requeue`)) await openConversation(openId);
  });
  function outcome() {
    return [...document.querySelectorAll("#outcomes input:checked")].map((b) => b.value);
  }
  async function wrap(to) {
    if (await act(`/desk/api/handoffs/${openId}/wrap`, { to, outcome: outcome() })) {
      document.querySelectorAll("#outcomes input").forEach((b) => { b.checked = false; });
      await openConversation(openId);
    }
  }
  $("return-bot").addEventListener("click", () => wrap("bot"));
  $("close-conv").addEventListener("click", () => wrap("closed"));
  $("show-audit").addEventListener("click", async () => {
    const data = await api("GET", "/desk/api/audit");
    $("audit").replaceChildren(...data.entries.map((e) => el("li", null,
      `${e.at.slice(0, 19).replace("T", " ")} ${e.user} ${e.action}${e.handoff_id ? ` #${e.handoff_id}` : ""}`)));
  });

  start().catch((err) => showError(err.message));
})();
