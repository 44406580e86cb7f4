// Direct messages: the conversation list with unread counts, and a thread
// that updates live, with a typing indicator and read marks. On a phone one
// of the two shows at a time; on a desktop both, side by side.

import { h, replace, avatar, displayName, timeAgo, clock, placeholders } from '../dom.js';
import { api } from '../api.js';
import { state, on, emit, addMessage, isTyping } from '../state.js';
import { sendTyping } from '../live.js';
import { toast } from '../toasts.js';

function conversationList(list, openId) {
  const convs = [...state.conversations.values()].sort((a, b) => b.last_message.id - a.last_message.id);
  const friendsWithout = [...state.friends.values()].filter((f) => !state.conversations.has(f.id));
  replace(list,
    convs.length === 0 && friendsWithout.length === 0
      ? h('li', { class: 'empty' }, 'No conversations yet. Add a friend to start one.')
      : null,
    convs.map((c) => {
      const last = c.last_message;
      const mine = last.sender.id === state.me.id;
      const user = state.friends.get(c.user.id) || c.user;
      return h('li', { class: 'conv' + (c.user.id === openId ? ' active' : '') + (c.unread_count ? ' has-unread' : '') },
        h('a', { href: `#/messages/${c.user.id}`, 'aria-current': c.user.id === openId ? 'page' : null, 'data-user': c.user.username },
          avatar(user, 40, state.friends.has(c.user.id) ? state.online.has(c.user.id) : undefined),
          h('span', { class: 'conv-main' },
            h('span', { class: 'conv-top' },
              h('span', { class: 'person-name' }, displayName(user)),
              h('time', { class: 'muted small', datetime: last.created_at }, timeAgo(last.created_at))),
            h('span', { class: 'conv-last muted' }, isTyping(c.user.id) ? 'typing…' : (mine ? 'You: ' : '') + last.content)),
          c.unread_count ? h('span', { class: 'badge', 'aria-label': `${c.unread_count} unread` }, String(c.unread_count)) : null));
    }),
    friendsWithout.length ? h('li', { class: 'conv-heading muted small' }, 'Start a conversation') : null,
    friendsWithout.map((f) => h('li', { class: 'conv' + (f.id === openId ? ' active' : '') },
      h('a', { href: `#/messages/${f.id}`, 'data-user': f.username },
        avatar(f, 40, state.online.has(f.id)),
        h('span', { class: 'conv-main' }, h('span', { class: 'person-name' }, displayName(f)), h('span', { class: 'conv-last muted' }, '@' + f.username))))));
}

export function mount(main, { userId }) {
  const list = h('ul', { class: 'conv-list', id: 'conversations', 'aria-label': 'Conversations' });
  const threadPane = h('section', { class: 'thread-pane', 'aria-label': 'Conversation' });
  main.append(h('div', { class: 'page messages-page' + (userId ? ' thread-open' : '') },
    h('section', { class: 'conv-pane panel', 'aria-labelledby': 'h-convs' }, h('h1', { id: 'h-convs', class: 'pane-title' }, 'Messages'), list),
    threadPane));
  const renderList = () => conversationList(list, userId);
  renderList();
  const offs = [on('conversations', renderList), on('friends', renderList), on('typing', renderList)];
  if (userId) offs.push(...mountThread(threadPane, userId));
  else threadPane.append(h('div', { class: 'thread-empty muted' }, h('p', null, 'Choose a conversation.')));
  return () => offs.forEach((off) => off());
}

function mountThread(pane, userId) {
  const known = state.conversations.get(userId);
  let user = state.friends.get(userId) || (known && known.user) || { id: userId, username: '…' };
  const title = h('h2', { class: 'thread-title' });
  const status = h('p', { class: 'thread-status muted small', 'aria-live': 'polite' });
  const header = h('header', { class: 'thread-header' },
    h('a', { class: 'button ghost small back', href: '#/messages', 'aria-label': 'Back to conversations' }, '←'),
    h('span', { class: 'thread-avatar' }), h('div', null, title, status));
  const thread = h('ol', { class: 'thread', id: 'thread', 'aria-label': 'Messages', 'aria-busy': 'true' }, placeholders(4, 'msg placeholder'));
  const input = h('textarea', { id: 'composer', rows: 1, maxlength: 5000, placeholder: 'Write a message…', 'aria-label': `Message ${user.username}` });
  const sendButton = h('button', { class: 'button primary', type: 'submit' }, 'Send');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'composer' }, input, sendButton);
  // Threads load 100 messages at a time, newest first; older ones on demand.
  const pageSize = 100;
  const older = h('button', { class: 'button small ghost older', type: 'button', hidden: true }, 'Load older messages');
  pane.append(h('div', { class: 'thread-box panel' }, header, older, thread, error, form));

  const renderHeader = () => {
    title.textContent = displayName(user);
    replace(header.querySelector('.thread-avatar'), h('a', { href: `#/u/${encodeURIComponent(user.username)}`, 'aria-label': `Profile of ${user.username}` },
      avatar(user, 36, state.friends.has(userId) ? state.online.has(userId) : undefined)));
    status.textContent = isTyping(userId)
      ? `${displayName(user)} is typing…`
      : state.friends.has(userId) ? (state.online.has(userId) ? 'Online' : '@' + user.username) : '@' + user.username;
    status.classList.toggle('typing', isTyping(userId));
  };

  let loaded = false;
  const renderThread = () => {
    if (!loaded) return;
    const msgs = state.threads.get(userId) || [];
    const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
    const lastMineRead = [...msgs].reverse().find((m) => m.sender.id === state.me.id && m.is_read);
    replace(thread, msgs.length === 0
      ? h('li', { class: 'empty' }, `Say hello to ${displayName(user)}.`)
      : msgs.map((m) => {
        const mine = m.sender.id === state.me.id;
        return h('li', { class: 'msg ' + (mine ? 'mine' : 'theirs'), 'data-id': m.id },
          h('p', { class: 'msg-text' }, m.content),
          h('span', { class: 'msg-meta muted small' },
            h('time', { datetime: m.created_at }, clock(m.created_at)),
            mine ? h('span', { class: 'read-mark' + (m.is_read ? ' read' : '') }, m.is_read ? (m === lastMineRead ? ' · Seen' : '') : ' · Sent') : null));
      }));
    thread.setAttribute('aria-busy', 'false');
    if (atBottom || !thread.dataset.scrolled) {
      thread.scrollTop = thread.scrollHeight;
      thread.dataset.scrolled = '1';
    }
    markRead();
  };

  // markRead tells the server the thread was seen, when it has unread
  // messages and the page is visible.
  let marking = false;
  const markRead = async () => {
    const conv = state.conversations.get(userId);
    if (marking || !conv || !conv.unread_count || document.visibilityState !== 'visible') return;
    marking = true;
    try {
      await api('POST', `/api/messages/conversation/${userId}/read/`);
      conv.unread_count = 0;
      for (const m of state.threads.get(userId) || []) if (m.sender.id === userId) m.is_read = true;
      emit('conversations');
    } catch (err) {
      toast('Could not mark the conversation read: ' + err.message, { kind: 'error' });
    } finally {
      marking = false;
    }
  };

  const merge = (msgs) => {
    const merged = new Map(msgs.map((m) => [m.id, m]));
    for (const m of state.threads.get(userId) || []) if (!merged.has(m.id)) merged.set(m.id, m);
    state.threads.set(userId, [...merged.values()].sort((a, b) => a.id - b.id));
  };
  older.addEventListener('click', async () => {
    const first = (state.threads.get(userId) || [])[0];
    if (!first) return;
    older.disabled = true;
    try {
      const msgs = await api('GET', `/api/messages/conversation/${userId}/?limit=${pageSize}&before=${first.id}`);
      const fromBottom = thread.scrollHeight - thread.scrollTop;
      merge(msgs);
      older.hidden = msgs.length < pageSize;
      renderThread();
      thread.scrollTop = thread.scrollHeight - fromBottom; // stay where the reader was
    } catch (err) {
      toast('Could not load older messages: ' + err.message, { kind: 'error' });
    } finally {
      older.disabled = false;
    }
  });

  const load = async () => {
    try {
      const msgs = await api('GET', `/api/messages/conversation/${userId}/?limit=${pageSize}`);
      // Events that arrived while loading are merged, not lost.
      merge(msgs);
      older.hidden = msgs.length < pageSize;
      const any = msgs[0];
      if (user.username === '…' && any) user = any.sender.id === userId ? any.sender : any.receiver;
      loaded = true;
      renderHeader();
      renderThread();
    } catch (err) {
      replace(thread, h('li', { class: 'form-error', role: 'alert' }, 'Could not load this conversation: ' + err.message));
    }
  };
  if (!state.threads.has(userId)) state.threads.set(userId, []);

  input.addEventListener('input', () => {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 160) + 'px';
    if (input.value.trim()) sendTyping(userId);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = input.value;
    if (!content.trim()) return;
    sendButton.disabled = true;
    error.textContent = '';
    try {
      const msg = await api('POST', '/api/messages/', { receiver_id: userId, content });
      input.value = '';
      input.style.height = 'auto';
      addMessage(msg);
    } catch (err) {
      error.textContent = 'Not sent: ' + err.message;
    } finally {
      sendButton.disabled = false;
      input.focus();
    }
  });
  const visible = () => markRead();
  document.addEventListener('visibilitychange', visible);

  state.openThread = userId;
  renderHeader();
  load();
  input.focus();
  return [
    on('thread', renderThread),
    on('typing', renderHeader),
    on('friends', renderHeader),
    () => document.removeEventListener('visibilitychange', visible),
    () => { if (state.openThread === userId) state.openThread = 0; },
  ];
}
