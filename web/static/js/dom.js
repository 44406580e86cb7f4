// Building the DOM. Every string from the server or a user becomes a text
// node or an attribute value, never markup: there is no innerHTML anywhere,
// and the page's Trusted Types policy makes any such sink throw.

// h creates an element. props: "class", "on<event>" listeners, boolean
// properties (disabled, hidden, checked), "value", anything else an
// attribute. Children: nodes, strings (as text), arrays, null/false (skipped).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value') {
      el.value = value;
    } else if (key === 'disabled' || key === 'hidden' || key === 'checked' || key === 'required') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  put(el, children);
  return el;
}

function put(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

// replace swaps el's children for children.
export function replace(el, ...children) {
  el.replaceChildren();
  put(el, children);
  return el;
}

// safeURL returns url if it is an absolute http(s) URL, else null: a
// javascript: or data: link from a profile never becomes an href or src.
export function safeURL(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

// displayName is "First Last", or the username when both are empty.
export function displayName(user) {
  if (!user) return 'Someone';
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ').trim();
  return name || user.username || 'Someone';
}

const colours = ['#5eead4', '#a78bfa', '#f472b6', '#fbbf24', '#60a5fa', '#34d399', '#fb7185'];

// avatar is the user's picture, or their initial on a colour of their id.
export function avatar(user, size = 40, online = undefined) {
  const src = safeURL(user && (user.profile_picture || user.avatar));
  const initial = ((user && (user.first_name || user.username)) || '?').slice(0, 1).toUpperCase();
  const inner = src
    ? h('img', { src, alt: '', width: size, height: size, loading: 'lazy', referrerpolicy: 'no-referrer' })
    : h('span', { class: 'avatar-initial', 'aria-hidden': 'true' }, initial);
  const el = h('span', { class: 'avatar' }, inner);
  el.style.width = el.style.height = size + 'px';
  el.style.fontSize = Math.round(size * 0.42) + 'px';
  el.style.setProperty('--avatar-bg', colours[((user && user.id) || 0) % colours.length]);
  // Only a friend known to be online gets a dot: the friend list says who
  // was online when the page loaded, presence events who came or left since.
  if (online === true) {
    el.append(h('span', { class: 'presence online', role: 'img', 'aria-label': 'online', title: 'Online' }));
  }
  return el;
}

// timeAgo renders an ISO time as "just now", "5 min", "3 h", or a date.
export function timeAgo(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return Math.round(s / 60) + ' min';
  if (s < 86400) return Math.round(s / 3600) + ' h';
  return new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

// clock renders an ISO time as a local hh:mm.
export function clock(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : t.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

// spinner-free placeholder rows that hold the space a list will take.
export function placeholders(n, cls = 'row placeholder') {
  return Array.from({ length: n }, () => h('li', { class: cls, 'aria-hidden': 'true' }, h('span', { class: 'ph-avatar' }), h('span', { class: 'ph-line' })));
}
