// Friends: search people, incoming requests (accept / decline), the friend
// list with online dots, suggestions, and requests sent from this tab.

import { h, replace, avatar, displayName, placeholders } from '../dom.js';
import { api } from '../api.js';
import { state, on, emit } from '../state.js';
import { toast } from '../toasts.js';

function person(user, online, ...actions) {
  return h('li', { class: 'row person', 'data-user': user.username },
    h('a', { class: 'person-link', href: `#/u/${encodeURIComponent(user.username)}` },
      avatar(user, 40, online),
      h('span', { class: 'person-names' },
        h('span', { class: 'person-name' }, displayName(user)),
        h('span', { class: 'muted' }, '@' + user.username))),
    h('span', { class: 'actions' }, actions));
}

// act runs an API call from a button: disabled while it runs, the server's
// refusal shown as it is.
async function act(button, fn) {
  button.disabled = true;
  try {
    await fn();
  } catch (err) {
    toast(err.message, { kind: 'error' });
    button.disabled = false;
  }
}

export async function sendRequest(user, button) {
  await act(button, async () => {
    const res = await api('POST', `/api/friends/request/${user.id}/`);
    if (res && res.friend) {
      // They had asked us already: we are friends now.
      state.friends.set(res.friend.id, { ...user, ...res.friend });
      emit('friends');
      toast(`You and ${displayName(user)} are now friends.`, { kind: 'friend' });
    } else {
      state.sent.set(user.id, user);
      emit('requests');
      toast(`Friend request sent to ${displayName(user)}.`);
    }
  });
}

function addButton(user) {
  if (state.friends.has(user.id)) return h('span', { class: 'muted small' }, 'Friends');
  if (state.sent.has(user.id)) return h('span', { class: 'muted small' }, 'Requested');
  const b = h('button', { class: 'button small', type: 'button', 'aria-label': `Add ${user.username} as a friend` }, 'Add friend');
  b.addEventListener('click', () => sendRequest(user, b));
  return b;
}

export function mount(main) {
  const results = h('ul', { class: 'list', id: 'search-results', 'aria-live': 'polite' });
  const search = h('input', { id: 'friend-search', type: 'search', placeholder: 'Search by name or username', autocomplete: 'off', 'aria-label': 'Search people' });
  const searchForm = h('form', { class: 'search', role: 'search' }, search,
    h('button', { class: 'button', type: 'submit' }, 'Search'));
  const requests = h('ul', { class: 'list', id: 'requests' });
  const sent = h('ul', { class: 'list', id: 'sent' });
  const friends = h('ul', { class: 'list', id: 'friends' });
  const suggestions = h('ul', { class: 'list', id: 'suggestions' }, placeholders(3));
  const sentSection = h('section', { class: 'panel', 'aria-labelledby': 'h-sent' }, h('h2', { id: 'h-sent' }, 'Sent requests'), sent);

  main.append(h('div', { class: 'page friends-page' },
    h('h1', { class: 'page-title' }, 'Friends'),
    h('section', { class: 'panel', 'aria-labelledby': 'h-search' }, h('h2', { id: 'h-search' }, 'Find people'), searchForm, results),
    h('section', { class: 'panel', 'aria-labelledby': 'h-requests' }, h('h2', { id: 'h-requests' }, 'Friend requests'), requests),
    sentSection,
    h('section', { class: 'panel', 'aria-labelledby': 'h-friends' }, h('h2', { id: 'h-friends' }, 'Your friends'), friends),
    h('section', { class: 'panel', 'aria-labelledby': 'h-suggestions' }, h('h2', { id: 'h-suggestions' }, 'People you may know'), suggestions)));

  let lastResults = [];
  const showResults = () => replace(results, lastResults.length === 0 && search.value.trim()
    ? h('li', { class: 'empty' }, 'Nobody found.')
    : lastResults.map((u) => person(u, undefined, addButton(u))));

  searchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      lastResults = await api('GET', `/api/auth/search/?q=${encodeURIComponent(search.value.trim())}`);
      showResults();
    } catch (err) {
      replace(results, h('li', { class: 'form-error', role: 'alert' }, err.message));
    }
  });

  const renderRequests = () => {
    replace(requests, state.requests.size === 0
      ? h('li', { class: 'empty' }, 'No pending requests.')
      : [...state.requests.values()].map((r) => {
        const accept = h('button', { class: 'button small primary', type: 'button', 'aria-label': `Accept friend request from ${r.from_user.username}` }, 'Accept');
        const decline = h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Decline friend request from ${r.from_user.username}` }, 'Decline');
        accept.addEventListener('click', () => act(accept, async () => {
          const res = await api('POST', `/api/friends/accept/${r.id}/`);
          state.requests.delete(r.id);
          state.friends.set(res.friend.id, res.friend);
          emit('requests', 'friends');
          toast(`You and ${displayName(res.friend)} are now friends.`, { kind: 'friend' });
        }));
        decline.addEventListener('click', () => act(decline, async () => {
          await api('POST', `/api/friends/decline/${r.id}/`);
          state.requests.delete(r.id);
          emit('requests');
        }));
        return person(r.from_user, undefined, accept, decline);
      }));
    sentSection.hidden = state.sent.size === 0;
    replace(sent, [...state.sent.values()].map((u) => {
      const cancel = h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Cancel friend request to ${u.username}` }, 'Cancel');
      cancel.addEventListener('click', () => act(cancel, async () => {
        await api('DELETE', `/api/friends/cancel/${u.id}/`);
        state.sent.delete(u.id);
        emit('requests');
      }));
      return person(u, undefined, cancel);
    }));
    if (lastResults.length) showResults();
  };

  const renderFriends = () => {
    const list = [...state.friends.values()].sort((a, b) => displayName(a).localeCompare(displayName(b)));
    replace(friends, list.length === 0
      ? h('li', { class: 'empty' }, 'No friends yet. Search for people above or pick a suggestion.')
      : list.map((f) => {
        const message = h('a', { class: 'button small', href: `#/messages/${f.id}`, 'aria-label': `Message ${f.username}` }, 'Message');
        const remove = h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Remove ${f.username} from friends` }, 'Remove');
        remove.addEventListener('click', () => {
          if (!confirm(`Remove ${displayName(f)} from your friends?`)) return;
          act(remove, async () => {
            await api('DELETE', `/api/friends/remove/${f.id}/`);
            state.friends.delete(f.id);
            emit('friends');
          });
        });
        return person(f, state.online.has(f.id), message, remove);
      }));
    if (lastResults.length) showResults();
  };

  const loadSuggestions = async () => {
    try {
      const list = await api('GET', '/api/friends/suggestions/');
      replace(suggestions, list.length === 0
        ? h('li', { class: 'empty' }, 'No suggestions right now.')
        : list.map((u) => person(u, undefined, addButton(u))));
    } catch (err) {
      replace(suggestions, h('li', { class: 'form-error', role: 'alert' }, 'Could not load suggestions: ' + err.message));
    }
  };

  renderRequests();
  renderFriends();
  loadSuggestions();
  const offs = [on('requests', renderRequests), on('friends', renderFriends), on('requests', loadSuggestions)];
  return () => offs.forEach((off) => off());
}
