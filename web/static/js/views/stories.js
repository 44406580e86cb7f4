// The stories strip: one bubble per person with stories from the last 24
// hours (yours first), a viewer with reactions, and a form to post one.
// Stories are media URLs: the server stores links, not uploads.

import { h, replace, avatar, displayName, safeURL, timeAgo } from '../dom.js';
import { api } from '../api.js';
import { state, on } from '../state.js';
import { toast } from '../toasts.js';

export function mountStories(section) {
  const strip = h('ul', { class: 'stories', id: 'stories', 'aria-label': 'Stories' },
    Array.from({ length: 4 }, () => h('li', { class: 'story-bubble placeholder', 'aria-hidden': 'true' })));
  const addButton = h('button', { class: 'button small', type: 'button' }, 'Add story');
  section.append(h('div', { class: 'section-head' }, h('h2', { id: 'h-stories' }, 'Stories'), addButton), strip);
  let groups = [];

  const load = async () => {
    try {
      const { stories } = await api('GET', '/api/stories/');
      const byUser = new Map();
      for (const s of stories) {
        if (!byUser.has(s.user.id)) byUser.set(s.user.id, []);
        byUser.get(s.user.id).push(s);
      }
      groups = [...byUser.values()].map((list) => list.sort((a, b) => a.created_at.localeCompare(b.created_at)));
      groups.sort((a, b) => (b[0].user.id === state.me.id) - (a[0].user.id === state.me.id)
        || a.every((s) => s.is_viewed) - b.every((s) => s.is_viewed));
      render();
    } catch (err) {
      replace(strip, h('li', { class: 'form-error', role: 'alert' }, 'Could not load stories: ' + err.message));
    }
  };

  const render = () => {
    replace(strip, groups.length === 0
      ? h('li', { class: 'empty' }, 'No stories in the last 24 hours.')
      : groups.map((list, i) => {
        const user = list[0].user;
        const seen = list.every((s) => s.is_viewed || s.user.id === state.me.id);
        return h('li', null, h('button', {
          class: 'story-bubble' + (seen ? ' seen' : ''), type: 'button',
          'aria-label': `Stories of ${user.id === state.me.id ? 'you' : user.username}, ${list.length}`,
          onclick: () => openViewer(groups, i, load),
        }, avatar(user, 56), h('span', { class: 'story-name' }, user.id === state.me.id ? 'You' : displayName(user))));
      }));
  };

  addButton.addEventListener('click', () => openComposer(load));
  load();
  return [on('stories', load)];
}

function openComposer(reload) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { method: 'dialog', class: 'dialog-body' },
    h('h2', null, 'Add a story'),
    h('div', { class: 'field' }, h('label', { for: 'story-url' }, 'Image or video URL'),
      h('input', { id: 'story-url', name: 'media_url', type: 'url', required: true, placeholder: 'https://…', inputmode: 'url' })),
    h('div', { class: 'field' }, h('label', { for: 'story-type' }, 'Kind'),
      h('select', { id: 'story-type', name: 'media_type' }, h('option', { value: 'image' }, 'Image'), h('option', { value: 'video' }, 'Video'))),
    h('div', { class: 'field' }, h('label', { for: 'story-caption' }, 'Caption (optional)'),
      h('input', { id: 'story-caption', name: 'caption', maxlength: 500 })),
    error,
    h('div', { class: 'actions' },
      h('button', { class: 'button ghost', type: 'button', value: 'cancel', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { class: 'button primary', type: 'submit' }, 'Post story')));
  const dialog = h('dialog', { class: 'dialog', 'aria-label': 'Add a story' }, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (!safeURL(data.media_url)) {
      error.textContent = 'Enter an http or https URL.';
      return;
    }
    try {
      await api('POST', '/api/stories/', data);
      dialog.close();
      toast('Story posted. It stays for 24 hours.');
      reload();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function openViewer(groups, groupIndex, reload) {
  let g = groupIndex;
  let i = 0;
  const body = h('div', { class: 'dialog-body story-viewer' });
  const dialog = h('dialog', { class: 'dialog story-dialog', 'aria-label': 'Story' }, body);
  const show = () => {
    const story = groups[g][i];
    const mine = story.user.id === state.me.id;
    const url = safeURL(story.media_url);
    const media = !url
      ? h('p', { class: 'muted' }, 'This story has no viewable media.')
      : story.media_type === 'video'
        ? h('video', { src: url, controls: true, playsinline: true, class: 'story-media' })
        : h('img', { src: url, alt: story.caption || `Story of ${story.user.username}`, class: 'story-media', referrerpolicy: 'no-referrer' });
    const react = (type, label, symbol) => {
      const active = story.my_reaction === type;
      const b = h('button', { class: 'button small' + (active ? ' primary' : ''), type: 'button', 'aria-pressed': active ? 'true' : 'false', 'aria-label': label },
        symbol, ' ', String(type === 'heart' ? story.heart_count : story.thunder_count));
      b.addEventListener('click', async () => {
        try {
          if (active) {
            await api('DELETE', `/api/stories/${story.id}/react/`);
            story[type + '_count']--;
            story.my_reaction = null;
          } else {
            const res = await api('POST', `/api/stories/${story.id}/react/`, { reaction_type: type });
            Object.assign(story, { heart_count: res.heart_count, thunder_count: res.thunder_count, my_reaction: type });
          }
          show();
        } catch (err) {
          toast(err.message, { kind: 'error' });
        }
      });
      return b;
    };
    const prev = h('button', { class: 'button ghost small', type: 'button', 'aria-label': 'Previous story', disabled: g === 0 && i === 0 }, '‹');
    const next = h('button', { class: 'button ghost small', type: 'button', 'aria-label': 'Next story' }, '›');
    prev.addEventListener('click', () => step(-1));
    next.addEventListener('click', () => step(1));
    const actions = mine
      ? [h('span', { class: 'muted small' }, `${story.view_count} views · ♥ ${story.heart_count} · ⚡ ${story.thunder_count}`),
        h('button', { class: 'button small ghost', type: 'button', onclick: () => remove(story) }, 'Delete')]
      : [react('heart', 'React with a heart', '♥'), react('thunder', 'React with thunder', '⚡')];
    replace(body,
      h('header', { class: 'story-head' }, avatar(story.user, 32),
        h('strong', null, mine ? 'You' : displayName(story.user)), h('span', { class: 'muted small' }, timeAgo(story.created_at)),
        h('button', { class: 'button ghost small close', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, '×')),
      media,
      story.caption ? h('p', { class: 'story-caption' }, story.caption) : null,
      h('div', { class: 'actions story-actions' }, prev, actions, next));
    if (!mine && !story.is_viewed) {
      story.is_viewed = true;
      api('POST', `/api/stories/${story.id}/view/`).catch(() => {});
    }
  };
  const step = (d) => {
    i += d;
    if (i < 0) {
      g--;
      if (g < 0) { g = 0; i = 0; } else i = groups[g].length - 1;
    } else if (i >= groups[g].length) {
      g++;
      i = 0;
      if (g >= groups.length) { dialog.close(); return; }
    }
    show();
  };
  const remove = async (story) => {
    if (!confirm('Delete this story?')) return;
    try {
      await api('DELETE', `/api/stories/${story.id}/`);
      dialog.close();
      reload();
    } catch (err) {
      toast(err.message, { kind: 'error' });
    }
  };
  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight') step(1);
    if (e.key === 'ArrowLeft') step(-1);
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    reload();
  });
  document.body.append(dialog);
  show();
  dialog.showModal();
}
