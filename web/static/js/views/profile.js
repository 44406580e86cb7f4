// Profiles: your own, editable, and other people's, with the actions that
// fit (add friend, message).

import { h, replace, avatar, displayName, safeURL } from '../dom.js';
import { api, logout } from '../api.js';
import { state, emit } from '../state.js';
import { toast } from '../toasts.js';
import { sendRequest } from './friends.js';
import { composer, mountPostList } from './posts.js';

// wall is a user's posts (their own and those on their wall), with a
// composer for them and their friends.
function wall(user) {
  const list = h('div', { class: 'post-list', id: 'wall', 'aria-label': `Posts of ${user.username}` });
  const [off, added] = mountPostList(list, `/api/posts/?username=${encodeURIComponent(user.username)}`,
    (p) => !p.parent && (p.author.id === user.id || (p.target_profile && p.target_profile.id === user.id)));
  const canWrite = user.id === state.me.id || state.friends.has(user.id);
  const section = h('section', { class: 'wall-section', 'aria-labelledby': 'h-wall' },
    h('h2', { id: 'h-wall', class: 'section-title' }, 'Posts'),
    canWrite ? composer(added, user) : null,
    list);
  return [section, off];
}

function joined(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : 'Joined ' + t.toLocaleDateString(undefined, { year: 'numeric', month: 'long' });
}

function card(user, profile, ...actions) {
  const website = safeURL(profile && profile.website);
  return h('section', { class: 'panel profile-card', 'aria-labelledby': 'profile-name' },
    avatar(user, 88, state.friends.has(user.id) ? state.online.has(user.id) : undefined),
    h('div', { class: 'profile-main' },
      h('h1', { id: 'profile-name' }, displayName(user)),
      h('p', { class: 'muted' }, '@' + user.username),
      profile && profile.bio ? h('p', { class: 'bio' }, profile.bio) : null,
      h('p', { class: 'muted small facts' },
        profile && profile.location ? h('span', null, profile.location) : null,
        website ? h('a', { href: website, rel: 'noopener noreferrer nofollow', target: '_blank' }, new URL(website).host) : null,
        h('span', null, joined(user.date_joined))),
      actions.length ? h('div', { class: 'actions' }, actions) : null));
}

export function mount(main, { username }) {
  const page = h('div', { class: 'page profile-page' }, h('section', { class: 'panel profile-card placeholder', 'aria-busy': 'true' }));
  main.append(page);
  const offs = [];
  if (!username || username === state.me.username) mountMine(page, offs);
  else mountOther(page, username, offs);
  return () => offs.forEach((off) => off());
}

function mountOther(page, username, offs) {
  api('GET', `/api/auth/users/${encodeURIComponent(username)}/`).then((user) => {
    const actions = [];
    if (state.friends.has(user.id)) {
      actions.push(h('a', { class: 'button primary', href: `#/messages/${user.id}` }, 'Message'));
    } else if (state.sent.has(user.id)) {
      actions.push(h('span', { class: 'muted' }, 'Friend request sent'));
    } else {
      const add = h('button', { class: 'button primary', type: 'button', 'aria-label': `Add ${user.username} as a friend` }, 'Add friend');
      add.addEventListener('click', () => sendRequest(user, add));
      actions.push(add);
    }
    const [posts, off] = wall(user);
    offs.push(off);
    actions.push(h('a', { class: 'button', href: `#/studio/${encodeURIComponent(user.username)}` }, 'Studio'));
    replace(page, card(user, null, ...actions), posts);
  }, (err) => {
    replace(page, h('section', { class: 'panel' }, h('p', { class: 'form-error', role: 'alert' },
      err.status === 404 ? `There is no user called @${username}.` : 'Could not load this profile: ' + err.message)));
  });
}

function mountMine(page, offs) {
  const [posts, off] = wall(state.me);
  offs.push(off);
  let editOpen = false;
  const render = () => {
    const me = state.me;
    const p = me.profile || {};
    const field = (label, name, value, props = {}) => h('div', { class: 'field' },
      h('label', { for: 'profile-' + name }, label),
      h(props.multiline ? 'textarea' : 'input', { id: 'profile-' + name, name, value: value || '', ...props, multiline: null }));
    const error = h('p', { class: 'form-error', role: 'alert', id: 'profile-error' });
    const save = h('button', { class: 'button primary', type: 'submit' }, 'Save profile');
    const form = h('form', { class: 'panel profile-form', 'aria-label': 'Edit profile' },
      h('div', { class: 'two' },
        field('First name', 'first_name', me.first_name, { maxlength: 150, autocomplete: 'given-name' }),
        field('Last name', 'last_name', me.last_name, { maxlength: 150, autocomplete: 'family-name' })),
      field('Bio', 'bio', p.bio, { multiline: true, rows: 3, maxlength: 500 }),
      field('Location', 'location', p.location, { maxlength: 100 }),
      field('Website', 'website', p.website, { type: 'url', placeholder: 'https://…', inputmode: 'url' }),
      field('Picture (image URL)', 'avatar', p.avatar, { type: 'url', placeholder: 'https://…/me.jpg', inputmode: 'url' }),
      error, save);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      // An empty URL clears the field; the server wants null for that.
      for (const k of ['website', 'avatar']) if (!data[k]) data[k] = null;
      save.disabled = true;
      error.textContent = '';
      try {
        state.me = await api('PATCH', '/api/auth/profile/', data);
        emit('me');
        toast('Profile saved.');
        editOpen = false;
        render();
      } catch (err) {
        error.textContent = err.message;
        save.disabled = false;
        // Point at the fields the server named.
        for (const input of form.querySelectorAll('input, textarea')) {
          const bad = !!(err.body && err.body[input.name]);
          if (bad) {
            input.setAttribute('aria-invalid', 'true');
            input.setAttribute('aria-describedby', 'profile-error');
          } else {
            input.removeAttribute('aria-invalid');
          }
        }
        const first = form.querySelector('[aria-invalid="true"]');
        if (first) first.focus();
      }
    });
    replace(page, card(me, p),
      h('details', { class: 'edit-details', open: editOpen },
        h('summary', { class: 'button', id: 'edit-profile' }, 'Edit profile'), form),
      posts,
      h('section', { class: 'panel account-panel', 'aria-labelledby': 'h-account' },
        h('h2', { id: 'h-account' }, 'Account'),
        h('p', { class: 'muted' }, 'Signed in as ', me.email),
        h('button', { class: 'button', type: 'button', onclick: () => logout() }, 'Log out')));
  };
  render();
}
