/* CLL live chat: the staff console (templates/chat/staff/console.html, protocol in
   cll/chat/consumers.py). The queue, availability with its heartbeat, several conversations
   side by side, typing, "turn into a ticket", "end". Texts are inserted with textContent only. */
(function () {
  "use strict";

  var root = document.querySelector("[data-chat-console]");
  var chat = window.CllChat;
  if (!root || !chat || !("WebSocket" in window)) {
    return;
  }
  var statusLine = root.querySelector("[data-console-status]");
  var availableBox = root.querySelector("[data-chat-available]");
  var queueList = root.querySelector("[data-chat-queue]");
  var queueEmpty = root.querySelector("[data-queue-empty]");
  var panesBox = root.querySelector("[data-chat-panes]");
  var panesEmpty = root.querySelector("[data-panes-empty]");
  var queueTemplate = root.querySelector("template[data-queue-item]");
  var paneTemplate = root.querySelector("template[data-pane]");
  var heartbeatMs = parseInt(root.getAttribute("data-heartbeat"), 10) || 30000;

  var socket = null;
  var retries = 0;
  var heartbeat = null;
  var panes = {}; // conversation id -> {element, log, pending, shown, ...}
  var queue = [];
  var counter = 0;

  function text(name) {
    return root.getAttribute("data-text-" + name) || "";
  }

  function send(frame) {
    return chat.send(socket, frame);
  }

  // -- Availability: said on the toggle, renewed by the heartbeat while it is on. --------------
  function sayAvailability() {
    send({ type: "available", value: availableBox.checked });
  }

  availableBox.addEventListener("change", function () {
    clearInterval(heartbeat);
    sayAvailability();
    if (availableBox.checked) {
      heartbeat = setInterval(sayAvailability, heartbeatMs);
    }
  });

  // -- The queue. ------------------------------------------------------------------------------
  function entryLabel(entry) {
    return entry.name || text("visitor");
  }

  function renderQueue() {
    queueList.textContent = "";
    queueEmpty.hidden = queue.length > 0;
    queue.forEach(function (entry) {
      var item = queueTemplate.content.firstElementChild.cloneNode(true);
      var started = new Date(entry.started_at);
      var state = entry.waiting ? text("waiting") : entry.assigned_to_me ? text("mine") : text("taken");
      item.querySelector("[data-name]").textContent = entryLabel(entry);
      item.querySelector("[data-meta]").textContent =
        state + " · " + entry.language.toUpperCase() + " · " + started.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      item.querySelector("[data-last]").textContent = entry.last_text || "";
      if (entry.waiting) {
        item.classList.add("chat-queue__item--waiting");
      }
      item.querySelector("[data-join]").addEventListener("click", function () {
        join(entry.conversation);
      });
      queueList.appendChild(item);
    });
  }

  function join(conversation) {
    if (panes[conversation]) {
      panes[conversation].textBox.focus();
      return;
    }
    send({ type: "join", conversation: conversation });
  }

  // -- Conversations. ----------------------------------------------------------------------------
  function queueEntry(conversation) {
    return queue.filter(function (entry) {
      return entry.conversation === conversation;
    })[0];
  }

  function makePane(conversation) {
    counter += 1;
    var element = paneTemplate.content.firstElementChild.cloneNode(true);
    var titleId = "chat-pane-title-" + counter;
    var textId = "chat-pane-text-" + counter;
    var title = element.querySelector("[data-title]");
    var entry = queueEntry(conversation);
    title.id = titleId;
    title.textContent = entry ? entryLabel(entry) : text("visitor");
    element.setAttribute("aria-labelledby", titleId);
    element.querySelector("[data-label]").setAttribute("for", textId);
    var textBox = element.querySelector("[data-text]");
    textBox.id = textId;
    var pane = {
      conversation: conversation,
      element: element,
      log: element.querySelector("[data-log]"),
      typing: element.querySelector("[data-typing]"),
      status: element.querySelector("[data-status]"),
      compose: element.querySelector("[data-compose]"),
      textBox: textBox,
      pending: {},
      shown: {},
      lastTyping: 0,
      typingTimer: null,
    };
    pane.compose.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = textBox.value;
      if (!value.trim()) {
        return;
      }
      var clientId = chat.clientId();
      pane.pending[clientId] = value;
      render(pane, { client_id: clientId, author: "staff", name: "", text: value }, true);
      textBox.value = "";
      send({ type: "message", conversation: conversation, client_id: clientId, text: value });
    });
    textBox.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        pane.compose.requestSubmit();
      }
    });
    textBox.addEventListener("input", function () {
      var now = Date.now();
      if (now - pane.lastTyping > 2000) {
        pane.lastTyping = now;
        send({ type: "typing", conversation: conversation });
      }
    });
    element.querySelector("[data-ticket]").addEventListener("click", function () {
      send({ type: "to_ticket", conversation: conversation });
    });
    element.querySelector("[data-end]").addEventListener("click", function () {
      send({ type: "end", conversation: conversation });
    });
    element.querySelector("[data-hide]").addEventListener("click", function () {
      panesBox.removeChild(element);
      delete panes[conversation];
      panesEmpty.hidden = Object.keys(panes).length > 0;
    });
    panesBox.appendChild(element);
    panesEmpty.hidden = true;
    panes[conversation] = pane;
    return pane;
  }

  function render(pane, message, sending) {
    var label = message.author === "visitor" ? pane.element.querySelector("[data-title]").textContent : message.name || text("cll");
    chat.render(pane.log, pane.shown, message, label, sending);
  }

  function ended(pane) {
    pane.status.textContent = text("ended");
    pane.compose.hidden = true;
    pane.element.querySelector("[data-end]").hidden = true;
    pane.typing.textContent = "";
  }

  function handle(frame) {
    var pane = frame.conversation ? panes[frame.conversation] : null;
    switch (frame.type) {
      case "queue":
        queue = frame.conversations;
        renderQueue();
        break;
      case "joined":
        pane = pane || makePane(frame.conversation);
        frame.messages.forEach(function (message) {
          render(pane, message, false);
        });
        if (frame.ended) {
          ended(pane);
        }
        // Sent again after a reconnect: the server saves each client_id once.
        Object.keys(pane.pending).forEach(function (clientId) {
          send({ type: "message", conversation: frame.conversation, client_id: clientId, text: pane.pending[clientId] });
        });
        pane.textBox.focus();
        break;
      case "message":
        if (pane) {
          delete pane.pending[frame.client_id];
          render(pane, frame, false);
          if (frame.author === "visitor") {
            pane.typing.textContent = "";
          }
        }
        break;
      case "ack":
        if (pane) {
          delete pane.pending[frame.client_id];
        }
        break;
      case "typing":
        if (pane) {
          pane.typing.textContent = text("typing");
          clearTimeout(pane.typingTimer);
          pane.typingTimer = setTimeout(function () {
            pane.typing.textContent = "";
          }, 4000);
        }
        break;
      case "ended":
        if (pane) {
          ended(pane);
        }
        break;
      case "ticket":
        if (pane) {
          pane.status.textContent = text("ticket").replace("{reference}", frame.reference);
        }
        break;
      case "error":
        var messages = { no_email: text("no-email"), too_long: text("too-long"), flood: text("flood") };
        var message = messages[frame.code] || text("error");
        if (pane) {
          if (frame.client_id) {
            chat.unsend(pane.shown, pane.pending, frame.client_id, pane.textBox);
          }
          pane.status.textContent = message;
        } else {
          statusLine.textContent = message;
        }
        break;
    }
  }

  // -- The connection. -------------------------------------------------------------------------
  function connect() {
    statusLine.textContent = retries ? text("reconnecting") : text("connecting");
    socket = new WebSocket(chat.socketUrl(root.getAttribute("data-chat-path")));
    socket.addEventListener("open", function () {
      statusLine.textContent = text("connected");
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame.type === "queue" && retries) {
        // Back after a reconnect: say the availability again and rejoin the open panes.
        retries = 0;
        if (availableBox.checked) {
          sayAvailability();
        }
        Object.keys(panes).forEach(function (conversation) {
          var pane = panes[conversation];
          pane.log.textContent = "";
          pane.shown = {};
          send({ type: "join", conversation: conversation });
        });
      }
      handle(frame);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === 4403) {
        statusLine.textContent = text("refused");
        return;
      }
      var delay = Math.min(30000, 1000 * Math.pow(2, retries));
      retries += 1;
      statusLine.textContent = text("reconnecting");
      setTimeout(connect, delay);
    });
  }

  connect();
})();
