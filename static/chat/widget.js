/* CLL live chat: the visitor's widget (templates/chat/widget.html, protocol in cll/chat/consumers.py).

   Privacy: nothing happens until the visitor opens the chat. No socket is opened, no cookie is
   set and nothing is stored before the "Chat with us" button is clicked; then the
   conversation's id and secret are kept in this tab's sessionStorage (so the chat survives a
   page change and a reconnect), and removed when the chat ends.

   Reliability: every message carries a client_id chosen here. It stays in `pending` until the
   server acknowledges it (saved), and is sent again with the same client_id after a reconnect:
   the server saves it once. A reconnect resumes from the last message id seen.

   Safety: texts are inserted with textContent only, never as HTML. */
(function () {
  "use strict";

  var root = document.querySelector("[data-chat-widget]");
  var chat = window.CllChat;
  if (!root || !chat || !("WebSocket" in window)) {
    return;
  }
  var STORE_KEY = "cll-chat";
  var launcher = root.querySelector("[data-chat-launcher]");
  var dialog = document.getElementById(launcher.getAttribute("aria-controls"));
  var statusLine = root.querySelector("[data-chat-status]");
  var startForm = root.querySelector("[data-chat-start]");
  var startError = root.querySelector("[data-chat-error]");
  var conversationPane = root.querySelector("[data-chat-conversation]");
  var log = root.querySelector("[data-chat-log]");
  var typingLine = root.querySelector("[data-chat-typing]");
  var compose = root.querySelector("[data-chat-compose]");
  var textBox = compose.querySelector("textarea");
  var endButton = root.querySelector("[data-chat-end]");
  var leaveForm = root.querySelector("[data-chat-leave]");
  var leaveError = root.querySelector("[data-chat-leave-error]");
  var donePane = root.querySelector("[data-chat-done]");
  var doneText = root.querySelector("[data-chat-done-text]");
  var panes = [startForm, conversationPane, leaveForm, donePane];

  var socket = null;
  var state = null; // {conversation, token, after, email}
  var pending = {}; // client_id -> text, until acknowledged
  var shown = {}; // client_id or "#id" -> <li>
  var retries = 0;
  var retryTimer = null;
  var lastTyping = 0;
  var typingTimer = null;
  var ended = false;
  var startRequest = null;

  function text(name) {
    return root.getAttribute("data-text-" + name) || "";
  }

  function language() {
    return (document.documentElement.lang || "fr").slice(0, 2);
  }

  // -- Storage: only ever written after the visitor opened the chat. ----------------------------
  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null;
    }
  }

  function save() {
    var store = storage();
    if (store && state) {
      store.setItem(STORE_KEY, JSON.stringify(state));
    }
  }

  function forget() {
    var store = storage();
    if (store) {
      store.removeItem(STORE_KEY);
    }
  }

  function saved() {
    var store = storage();
    if (!store) {
      return null;
    }
    try {
      var value = JSON.parse(store.getItem(STORE_KEY) || "null");
      return value && value.conversation && value.token ? value : null;
    } catch (error) {
      return null;
    }
  }

  // -- The dialog. --------------------------------------------------------------------------------
  function show(pane) {
    panes.forEach(function (each) {
      each.hidden = each !== pane;
    });
  }

  function setStatus(message) {
    statusLine.textContent = message || "";
  }

  function focusFirst() {
    var pane = panes.filter(function (each) {
      return !each.hidden;
    })[0];
    var target = pane && pane.querySelector("input, textarea, button");
    (target || dialog.querySelector("[data-chat-close]")).focus();
  }

  function open() {
    dialog.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    focusFirst();
  }

  function close() {
    dialog.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (dialog.hidden) {
      open();
    } else {
      close();
    }
  });
  dialog.querySelector("[data-chat-close]").addEventListener("click", close);
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  // -- Messages. ------------------------------------------------------------------------------------
  function authorLabel(message) {
    if (message.author === "visitor") {
      return text("you");
    }
    return message.name || text("cll");
  }

  function render(message, sending) {
    chat.render(log, shown, message, authorLabel(message), sending, text("sending"));
  }

  function received(message) {
    if (message.client_id && pending[message.client_id] !== undefined) {
      delete pending[message.client_id];
    }
    render(message, false);
    if (state && message.id > state.after) {
      state.after = message.id;
      save();
    }
    if (message.author === "staff") {
      typingLine.textContent = "";
    }
  }

  function send(frame) {
    return chat.send(socket, frame);
  }

  function sendPending() {
    Object.keys(pending).forEach(function (clientId) {
      send({ type: "message", client_id: clientId, text: pending[clientId] });
    });
  }

  // -- The connection. -------------------------------------------------------------------------
  function connect() {
    clearTimeout(retryTimer);
    setStatus(retries ? text("reconnecting") : text("connecting"));
    socket = new WebSocket(chat.socketUrl(root.getAttribute("data-chat-path")));
    socket.addEventListener("open", function () {
      if (state) {
        send({ type: "resume", conversation: state.conversation, token: state.token, after: state.after });
      } else if (startRequest) {
        send(startRequest);
      }
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(frame);
    });
    socket.addEventListener("close", function () {
      socket = null;
      if (ended || (!state && !startRequest)) {
        return;
      }
      // Back off: 1 s, 2 s, 4 s... at most 30 s between attempts.
      var delay = Math.min(30000, 1000 * Math.pow(2, retries));
      retries += 1;
      setStatus(text("reconnecting"));
      retryTimer = setTimeout(connect, delay);
    });
  }

  function handle(frame) {
    switch (frame.type) {
      case "started":
        state = {
          conversation: frame.conversation,
          token: frame.token,
          after: 0,
          email: Boolean(startRequest && startRequest.email),
        };
        startRequest = null;
        retries = 0;
        save();
        if (frame.available) {
          setStatus(text("connected"));
          show(conversationPane);
        } else {
          setStatus("");
          show(leaveForm);
        }
        focusFirst();
        break;
      case "resumed":
        retries = 0;
        frame.messages.forEach(received);
        if (frame.ended) {
          finish(false);
          break;
        }
        setStatus(text("connected"));
        if (!frame.available && !log.children.length) {
          show(leaveForm);
        } else {
          show(conversationPane);
        }
        sendPending();
        break;
      case "ack":
        if (pending[frame.client_id] !== undefined) {
          delete pending[frame.client_id];
        }
        break;
      case "message":
        received(frame);
        break;
      case "typing":
        typingLine.textContent = text("typing");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () {
          typingLine.textContent = "";
        }, 4000);
        break;
      case "ended":
        finish(true);
        break;
      case "ticket":
        ended = true;
        forget();
        doneText.textContent = text("ticket").replace("{reference}", frame.reference);
        show(donePane);
        setStatus("");
        if (socket) {
          socket.close();
        }
        break;
      case "error":
        problem(frame);
        break;
    }
  }

  function problem(frame) {
    var messages = {
      bad_email: text("bad-email"),
      too_long: text("too-long"),
      flood: text("flood"),
      not_found: text("not-found"),
    };
    var message = messages[frame.code] || text("error");
    if (frame.code === "bad_email") {
      var target = leaveForm.hidden ? startError : leaveError;
      target.textContent = message;
      target.hidden = false;
      (leaveForm.hidden ? startForm : leaveForm).querySelector("input[type=email]").focus();
      startRequest = null;
      return;
    }
    if (frame.code === "not_found") {
      // The chat is gone (pruned, or someone else's): start afresh.
      state = null;
      forget();
      show(startForm);
    }
    if (frame.code === "ended") {
      finish(false);
      return;
    }
    if (frame.client_id) {
      chat.unsend(shown, pending, frame.client_id, textBox);
    }
    setStatus(message);
  }

  function finish(told) {
    ended = true;
    setStatus(state && state.email ? text("ended-transcript") : text("ended"));
    compose.hidden = true;
    endButton.hidden = true;
    typingLine.textContent = "";
    forget();
    state = null;
    if (socket) {
      socket.close();
    }
    // The box and the button just hidden may have had the focus: keep it in the dialog.
    if (!dialog.hidden && (told || document.activeElement === document.body)) {
      dialog.querySelector("[data-chat-close]").focus();
    }
  }

  // -- Forms. --------------------------------------------------------------------------------------
  startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    startError.hidden = true;
    var email = startForm.elements.email.value.trim();
    var name = startForm.elements.name.value.trim();
    startRequest = { type: "start", language: language(), email: email, name: name };
    leaveForm.elements.email.value = email;
    leaveForm.elements.name.value = name;
    if (!send(startRequest) && !socket) {
      connect();
    }
  });

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = textBox.value;
    if (!value.trim() || !state) {
      return;
    }
    var clientId = chat.clientId();
    pending[clientId] = value;
    render({ client_id: clientId, author: "visitor", text: value }, true);
    textBox.value = "";
    send({ type: "message", client_id: clientId, text: value });
  });

  textBox.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });

  textBox.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 2000) {
      lastTyping = now;
      send({ type: "typing" });
    }
  });

  endButton.addEventListener("click", function () {
    send({ type: "end" });
  });

  leaveForm.addEventListener("submit", function (event) {
    event.preventDefault();
    leaveError.hidden = true;
    var frame = {
      type: "leave_message",
      language: language(),
      name: leaveForm.elements.name.value.trim(),
      email: leaveForm.elements.email.value.trim(),
      text: leaveForm.elements.text.value,
    };
    if (!frame.text.trim()) {
      leaveForm.elements.text.focus();
      return;
    }
    send(frame);
  });

  // -- Start. ------------------------------------------------------------------------------------
  launcher.hidden = false;
  // A chat this tab opened before (on another page): carry on with it.
  state = saved();
  if (state) {
    // A new page shows the whole conversation again: ask for it from the first message.
    state.after = 0;
    show(conversationPane);
    connect();
  } else {
    show(startForm);
  }
})();
