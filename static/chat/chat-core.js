/* CLL live chat: what the visitor's widget (widget.js) and the staff console (console.js)
   share. Loaded before them (both deferred, in order). Texts go in with textContent only. */
(function () {
  "use strict";

  // A message's client_id: chosen here, sent again unchanged after a reconnect.
  function clientId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  // The websocket address of `path` on this site (wss on https pages).
  function socketUrl(path) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + path;
  }

  function send(socket, frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /* Show `message` in the list `log`, once: `shown` maps its client_id and "#<id>" to its item,
     so the server's copy of a message replaces the one shown while it was being sent. */
  function render(log, shown, message, label, sending, sendingTitle) {
    var key = message.client_id || "#" + message.id;
    var item = shown[key] || (message.id && shown["#" + message.id]);
    if (!item) {
      item = document.createElement("li");
      var who = document.createElement("span");
      who.className = "chat-message__author";
      var body = document.createElement("span");
      body.className = "chat-message__text";
      item.appendChild(who);
      item.appendChild(body);
      log.appendChild(item);
    }
    item.className = "chat-message chat-message--" + (message.author || "visitor");
    item.querySelector(".chat-message__author").textContent = label + " ";
    item.querySelector(".chat-message__text").textContent = message.text;
    if (sending) {
      item.setAttribute("data-sending", "");
      if (sendingTitle) {
        item.title = sendingTitle;
      }
    } else {
      item.removeAttribute("data-sending");
      item.removeAttribute("title");
    }
    shown[key] = item;
    if (message.id) {
      shown["#" + message.id] = item;
    }
    log.scrollTop = log.scrollHeight;
    return item;
  }

  // A message the server dropped (too long, too fast): out of the list, back in the box.
  function unsend(shown, pending, clientIdValue, textBox) {
    if (pending[clientIdValue] === undefined) {
      return;
    }
    textBox.value = pending[clientIdValue];
    delete pending[clientIdValue];
    var item = shown[clientIdValue];
    if (item && item.parentNode) {
      item.parentNode.removeChild(item);
    }
    delete shown[clientIdValue];
  }

  window.CllChat = { clientId: clientId, socketUrl: socketUrl, send: send, render: render, unsend: unsend };
})();
