// What the UI knows, kept true by the API's answers and the socket's events.
// Views read it and subscribe to the topics they show; nothing here touches
// the DOM.

import { api } from './api.js';
import { displayName } from './dom.js';

export const state = {
  me: null,
  friends: new Map(), // id → user card
  requests: new Map(), // incoming, request id → {id, from_user, created_at}
  sent: new Map(), // outgoing requests sent from this tab, user id → user
  conversations: new Map(), // other user id → {user, last_message, unread_count}
  threads: new Map(), // other user id → messages, ascending (loaded threads only)
  activity: [], // stored events shown under the bell, newest first
  lastEventId: 0,
  online: new Set(), // friends' ids known to be online
  typing: new Map(), // user id → time until which they are typing
  openThread: 0, // the user id whose thread is on screen
  loaded: false,
};

const listeners = new Map();

// on calls fn whenever topic changes; it returns the unsubscribe function.
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic).delete(fn);
}

export function emit(...topics) {
  for (const t of topics) (listeners.get(t) || []).forEach((fn) => fn());
}

export function reset() {
  state.me = null;
  state.friends.clear();
  state.requests.clear();
  state.sent.clear();
  state.conversations.clear();
  state.threads.clear();
  state.activity = [];
  state.lastEventId = 0;
  state.online.clear();
  state.typing.clear();
  state.openThread = 0;
  state.loaded = false;
}

// Event types listed under the bell; messages have their own unread counts.
const activityTypes = new Set([
  'friend_request', 'friend_accepted', 'friend_removed', 'friend_request_cancelled',
  'friend_request_declined', 'story_reaction', 'new_post', 'wall_post', 'post_comment', 'comment_reply',
]);
const activityKept = 50;

// load reads everything the screens show. Stored events are read first, up
// to the newest, so that the socket resumes exactly after them: anything
// that happens while the lists load arrives as an event and is merged.
export async function load() {
  const activity = [];
  let since = 0;
  for (let page = 0; page < 40; page++) {
    const notes = await api('GET', `/api/notifications/?since=${since}&limit=500`);
    for (const n of notes) {
      since = Math.max(since, n.id);
      if (activityTypes.has(n.type)) activity.push(n);
    }
    if (notes.length < 500) break;
  }
  state.lastEventId = since;
  state.activity = activity.slice(-activityKept).reverse();

  const [me, friends, requests, conversations] = await Promise.all([
    api('GET', '/api/auth/me/'),
    api('GET', '/api/friends/'),
    api('GET', '/api/friends/requests/'),
    api('GET', '/api/messages/conversations/'),
  ]);
  state.me = me;
  state.friends = new Map(friends.map((f) => [f.id, f]));
  state.online = new Set(friends.filter((f) => f.is_online).map((f) => f.id));
  state.requests = new Map(requests.map((r) => [r.id, r]));
  state.conversations = new Map(conversations.map((c) => [c.user.id, c]));
  state.loaded = true;
  emit('me', 'friends', 'requests', 'conversations', 'activity');
}

export function unreadActivity() {
  return state.activity.filter((n) => !n.read).length;
}

export function unreadMessages() {
  let n = 0;
  for (const c of state.conversations.values()) n += c.unread_count || 0;
  return n;
}

export function isTyping(userId) {
  return (state.typing.get(userId) || 0) > Date.now();
}

// addMessage merges a message (from the API or an event) into its thread
// and its conversation. It reports whether the message was new.
export function addMessage(msg) {
  const other = msg.sender.id === state.me.id ? msg.receiver : msg.sender;
  const thread = state.threads.get(other.id);
  const conv = state.conversations.get(other.id);
  const inThread = !!thread && thread.some((m) => m.id === msg.id);
  const inConv = !!conv && !!conv.last_message && conv.last_message.id >= msg.id;
  if (thread && !inThread) {
    thread.push(msg);
    thread.sort((a, b) => a.id - b.id);
  }
  if (!inConv) {
    const incoming = msg.sender.id !== state.me.id;
    const unread = conv ? conv.unread_count : 0;
    state.conversations.set(other.id, {
      user: conv ? conv.user : { id: other.id, username: other.username },
      last_message: msg,
      unread_count: incoming && !msg.is_read ? unread + 1 : unread,
    });
  }
  emit('conversations', 'thread');
  return !inThread && !inConv;
}

// apply merges one event from the socket into the state. It returns what
// a toast should say about it, or null.
export function apply(ev) {
  const d = ev.data || {};
  if (ev.id > 0) state.lastEventId = Math.max(state.lastEventId, ev.id);
  if (ev.id > 0 && activityTypes.has(ev.type)) {
    state.activity.unshift({ id: ev.id, type: ev.type, data: d, created_at: new Date().toISOString(), read: false });
    state.activity.length = Math.min(state.activity.length, activityKept);
    emit('activity');
  }
  switch (ev.type) {
    case 'friend_request':
      state.requests.set(d.request_id, { id: d.request_id, from_user: d.from_user, created_at: new Date().toISOString() });
      emit('requests');
      return { kind: 'friend_request', user: d.from_user };
    case 'friend_accepted':
      state.friends.set(d.friend.id, d.friend);
      state.sent.delete(d.friend.id);
      emit('friends', 'requests');
      return { kind: 'friend_accepted', user: d.friend };
    case 'friend_removed':
      state.friends.delete(d.user.id);
      state.online.delete(d.user.id);
      emit('friends');
      return null;
    case 'friend_request_cancelled':
      state.requests.delete(d.request_id);
      emit('requests');
      return null;
    case 'friend_request_declined':
      state.sent.delete(d.by.id);
      emit('requests');
      return null;
    case 'new_message': {
      const msg = { id: d.id, sender: d.sender, receiver: { id: state.me.id, username: state.me.username }, content: d.content, created_at: d.created_at, is_read: false, story: null };
      state.typing.delete(d.sender.id);
      emit('typing');
      return addMessage(msg) ? { kind: 'message', user: d.sender, text: d.content } : null;
    }
    case 'messages_read': {
      if (d.reader.id === state.me.id) {
        const conv = state.conversations.get(d.other_user_id);
        if (conv) conv.unread_count = 0;
        for (const m of state.threads.get(d.other_user_id) || []) {
          if (m.sender.id === d.other_user_id && m.id <= d.up_to_id) m.is_read = true;
        }
      } else {
        for (const m of state.threads.get(d.reader.id) || []) {
          if (m.sender.id === state.me.id && m.id <= d.up_to_id) m.is_read = true;
        }
        const conv = state.conversations.get(d.reader.id);
        if (conv && conv.last_message.sender.id === state.me.id && conv.last_message.id <= d.up_to_id) conv.last_message.is_read = true;
      }
      emit('conversations', 'thread');
      return null;
    }
    case 'typing':
      state.typing.set(d.user.id, Date.now() + 4000);
      emit('typing');
      setTimeout(() => emit('typing'), 4100);
      return null;
    case 'presence':
      if (d.online) state.online.add(d.user_id);
      else state.online.delete(d.user_id);
      emit('friends', 'conversations');
      return null;
    case 'new_post':
    case 'wall_post':
      state.lastPost = ev.type === 'new_post' ? d : d.post;
      emit('post');
      return ev.type === 'wall_post' ? { kind: 'activity', text: `${displayName(d.author)} posted on your wall.`, href: '#/profile' } : null;
    case 'post_comment':
      state.lastComment = d.comment;
      state.lastCommentParent = d.post;
      emit('comment');
      return { kind: 'activity', text: `${displayName(d.commenter)} commented on your post.`, href: '#/' };
    case 'comment_reply':
      return { kind: 'activity', text: `${displayName(d.replier)} replied to your comment.`, href: '#/' };
    case 'story_reaction':
      emit('stories');
      return { kind: 'story_reaction', user: d.user, reaction: d.reaction_type };
    default:
      return null;
  }
}

// markActivityRead tells the server every event so far has been seen.
export async function markActivityRead() {
  if (!state.activity.some((n) => !n.read)) return;
  state.activity.forEach((n) => (n.read = true));
  emit('activity');
  await api('POST', '/api/notifications/read/', { up_to: state.lastEventId });
}
