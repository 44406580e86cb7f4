// Toasts: short notices in a polite live region, so a screen reader reads
// them too. Each goes after a few seconds or when dismissed.

import { h, displayName } from './dom.js';
import { state } from './state.js';

const region = document.getElementById('toasts');
const kept = 4;

// A toast with a key replaces the one on screen with the same key, so a
// burst of messages from one person is one toast showing the latest.
export function toast(text, { kind = 'info', href = '', title = '', key = '' } = {}) {
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
  const body = href
    ? h('a', { class: 'toast-body', href }, title ? h('strong', null, title) : null, h('span', { class: 'toast-text' }, text))
    : h('div', { class: 'toast-body' }, title ? h('strong', null, title) : null, h('span', { class: 'toast-text' }, text));
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, body, close);
  const remove = () => el.remove();
  close.addEventListener('click', remove);
  if (key) {
    el.dataset.key = key;
    for (const old of region.querySelectorAll('.toast')) if (old.dataset.key === key) old.remove();
  }
  region.append(el);
  while (region.children.length > kept) region.firstElementChild.remove();
  setTimeout(remove, kind === 'error' ? 9000 : 6000);
}

// toastFor shows what state.apply said an event deserves.
export function toastFor(t) {
  // Events carry the short or tiny user; a friend's full name is known.
  const who = t.user ? displayName(state.friends.get(t.user.id) || t.user) : '';
  switch (t.kind) {
    case 'message':
      toast(t.text, { title: who, href: `#/messages/${t.user.id}`, kind: 'message', key: `message-${t.user.id}` });
      return;
    case 'friend_request':
      toast(`${who} sent you a friend request.`, { href: '#/friends', kind: 'friend' });
      return;
    case 'friend_accepted':
      toast(`${who} accepted your friend request.`, { href: `#/messages/${t.user.id}`, kind: 'friend' });
      return;
    case 'activity':
      toast(t.text, { href: t.href, kind: 'info' });
      return;
    case 'story_reaction':
      toast(`${who} reacted ${t.reaction === 'heart' ? '♥' : '⚡'} to your story.`, { href: '#/', kind: 'info' });
      return;
  }
}
