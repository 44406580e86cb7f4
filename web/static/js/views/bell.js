// The notification bell: an unread badge (main.js) and a panel listing the
// stored events, newest first. Opening it marks them read.

import { h, replace, displayName, timeAgo } from '../dom.js';
import { state, markActivityRead } from '../state.js';
import { toast } from '../toasts.js';

const bell = document.getElementById('bell');
const panel = document.getElementById('bell-panel');

// describe turns a stored event into a sentence and a link.
export function describe(n) {
  const d = n.data || {};
  switch (n.type) {
    case 'friend_request': return [`${displayName(d.from_user)} sent you a friend request.`, '#/friends'];
    case 'friend_accepted': return [`${displayName(d.friend)} accepted your friend request.`, `#/messages/${d.friend && d.friend.id}`];
    case 'friend_removed': return [`${displayName(d.user)} is no longer your friend.`, '#/friends'];
    case 'friend_request_cancelled': return [`${displayName(d.from_user)} withdrew a friend request.`, '#/friends'];
    case 'friend_request_declined': return [`${displayName(d.by)} declined your friend request.`, '#/friends'];
    case 'story_reaction': return [`${displayName(d.user)} reacted ${d.reaction_type === 'heart' ? '♥' : '⚡'} to your story.`, '#/'];
    case 'new_post': return [`${displayName(d.author)} posted.`, '#/'];
    case 'wall_post': return [`${displayName(d.author)} posted on your wall.`, '#/profile'];
    case 'post_comment': return [`${displayName(d.commenter)} commented on your post.`, '#/'];
    case 'comment_reply': return [`${displayName(d.replier)} replied to your comment.`, '#/'];
    default: return [n.type.replace(/_/g, ' '), '#/'];
  }
}

// activityList is the list of stored events the panel shows.
export function activityList(items, emptyText) {
  if (items.length === 0) return h('p', { class: 'empty' }, emptyText);
  return h('ul', { class: 'activity' }, items.map((n) => {
    const [text, href] = describe(n);
    return h('li', { class: 'activity-item' + (n.read ? '' : ' unread') },
      h('a', { href }, h('span', { class: 'activity-text' }, text), h('time', { datetime: n.created_at, class: 'muted' }, timeAgo(n.created_at))));
  }));
}

export function renderBell() {
  if (panel.hidden) return;
  replace(panel,
    h('h2', { class: 'panel-title' }, 'Notifications'),
    activityList(state.activity.slice(0, 20), 'Nothing new. Friend requests and reactions show up here.'));
}

function close() {
  panel.hidden = true;
  document.body.classList.remove('bell-open');
  bell.setAttribute('aria-expanded', 'false');
  document.removeEventListener('click', outside, true);
  document.removeEventListener('keydown', escape);
}

function outside(e) {
  if (!panel.contains(e.target) && !bell.contains(e.target)) close();
}

function escape(e) {
  if (e.key === 'Escape') {
    close();
    bell.focus();
  }
}

export function bellToggled() {
  if (!panel.hidden) {
    close();
    return;
  }
  panel.hidden = false;
  document.body.classList.add('bell-open');
  bell.setAttribute('aria-expanded', 'true');
  renderBell();
  document.addEventListener('click', outside, true);
  document.addEventListener('keydown', escape);
  panel.addEventListener('click', (e) => {
    if (e.target.closest('a')) close();
  }, { once: true });
  markActivityRead().catch((err) => toast('Could not mark notifications read: ' + err.message, { kind: 'error' }));
}
