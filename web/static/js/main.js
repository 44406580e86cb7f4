// The NUMENEON web UI: routing, the header (connection state, bell, badges),
// toasts, and the live connection. Pages live in views/.

import { signedIn, onSessionChange, logout, resumeSession, onRefresh } from './api.js';
import { live } from './live.js';
import { Connection } from './socket.js';
import { state, on, load, reset, apply, unreadActivity, unreadMessages } from './state.js';
import { h, replace } from './dom.js';
import { toast, toastFor } from './toasts.js';
import { renderBell, bellToggled } from './views/bell.js';
import * as auth from './views/auth.js';
import * as home from './views/home.js';
import * as friends from './views/friends.js';
import * as messages from './views/messages.js';
import * as profile from './views/profile.js';
import * as studio from './views/studio.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const conn = document.getElementById('conn');
const connLabel = document.getElementById('conn-label');
const bellWrap = document.getElementById('bell-wrap');
const logoutButton = document.getElementById('logout');

let connection = null;
let unmount = null;
let loadError = null;

// Routes: #/, #/friends, #/messages, #/messages/<user id>, #/profile,
// #/u/<username>, #/studio, #/studio/<username>, #/login, #/signup.
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [page = '', arg = ''] = parts;
  if (!signedIn()) {
    return page === 'signup' ? [auth, { mode: 'signup' }, 'signup'] : [auth, { mode: 'login' }, 'login'];
  }
  switch (page) {
    case 'friends': return [friends, {}, 'friends'];
    case 'messages': return [messages, { userId: Number(arg) || 0 }, 'messages'];
    case 'profile': return [profile, { username: '' }, 'profile'];
    case 'u': return [profile, { username: arg }, 'profile'];
    case 'studio': return [studio, { username: arg }, 'studio'];
    case 'login':
    case 'signup':
      location.replace('#/');
      return [home, {}, 'home'];
    default: return [home, {}, 'home'];
  }
}

function render() {
  if (unmount) unmount();
  unmount = null;
  const [view, params, name] = route();
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.body.dataset.page = name;
  if (signedIn() && !state.loaded) {
    replace(main, loadError
      ? h('div', { class: 'panel error-panel', role: 'alert' },
        h('p', null, loadError),
        h('button', { class: 'button', type: 'button', onclick: start }, 'Try again'))
      : h('div', { class: 'panel loading', 'aria-busy': 'true' }, h('p', null, 'Loading…')));
    return;
  }
  replace(main);
  unmount = view.mount(main, params) || null;
  // A new page starts at its top, and keyboard and screen-reader users
  // start there too unless the page focused a field of its own.
  if (document.activeElement === document.body || !document.contains(document.activeElement)) {
    main.focus({ preventScroll: true });
  }
}

function setChrome() {
  const inside = signedIn();
  nav.hidden = !inside;
  bellWrap.hidden = !inside;
  logoutButton.hidden = !inside;
  conn.hidden = !inside;
  document.body.classList.toggle('signed-in', inside);
}

function badge(id, n, label) {
  const el = document.getElementById(id);
  el.hidden = n === 0;
  el.textContent = n > 99 ? '99+' : String(n);
  el.setAttribute('aria-label', `${n} ${label}`);
}

function updateBadges() {
  badge('badge-bell', unreadActivity(), 'unread notifications');
  badge('badge-messages', unreadMessages(), 'unread messages');
  badge('badge-friends', state.requests.size, 'friend requests');
  document.getElementById('bell').setAttribute('aria-label', `Notifications, ${unreadActivity()} unread`);
  document.title = (unreadMessages() + unreadActivity() > 0 ? `(${unreadMessages() + unreadActivity()}) ` : '') + 'NUMENEON';
}

const stateLabels = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

function showConnState(s) {
  conn.dataset.state = s;
  connLabel.textContent = stateLabels[s] || s;
  conn.title = s === 'connected' ? 'Connected: updates arrive live' : s === 'offline'
    ? 'No network: updates will arrive when you are back online' : 'Connection lost: trying again; nothing will be missed';
}

// start loads the state and opens the live connection.
async function start() {
  loadError = null;
  state.loaded = false;
  render();
  try {
    await load();
  } catch (err) {
    if (!signedIn()) return;
    loadError = 'Could not load your account: ' + err.message;
    render();
    return;
  }
  if (!signedIn()) return;
  connection = new Connection({
    since: state.lastEventId,
    onEvent(ev) {
      const t = apply(ev);
      if (t) toastFor(t);
    },
    onState: showConnState,
    onResync() {
      // Events this page missed were pruned: read the lists again, so the
      // screens are true even though the events themselves are gone.
      load().then(() => {
        render();
        toast('You were away a long time: the page has been brought up to date.');
      }, (err) => toast('Could not bring the page up to date: ' + err.message, { kind: 'error' }));
    },
    onFatal(message) {
      toast(message, { kind: 'error' });
      logout();
    },
  });
  live.connection = connection;
  connection.start();
  render();
}

function stop() {
  if (connection) connection.stop();
  connection = live.connection = null;
  reset();
}

onSessionChange((inside, reason) => {
  setChrome();
  if (inside) {
    if (!location.hash || location.hash.startsWith('#/login') || location.hash.startsWith('#/signup')) location.replace('#/');
    start();
  } else {
    stop();
    if (reason) toast(reason, { kind: reason === 'You have logged out.' ? 'info' : 'error' });
    location.replace('#/login');
    render();
  }
});

// A refreshed token goes to the open socket too, so a server that enforces
// token expiry (SOCKET_TOKEN_EXPIRY=enforce) keeps it open.
onRefresh((token) => {
  if (connection) connection.authenticate(token);
});

for (const topic of ['activity', 'conversations', 'requests']) on(topic, updateBadges);
on('activity', renderBell);

window.addEventListener('hashchange', () => {
  window.scrollTo(0, 0);
  render();
});
logoutButton.addEventListener('click', () => logout());
document.getElementById('bell').addEventListener('click', bellToggled);

setChrome();
showConnState('connecting');
if (signedIn()) {
  resumeSession();
  start();
} else {
  render();
}
