// Posts: the composer, post cards with likes, shares and comments, and the
// lists of the feed (home) and of a wall (profile). Live: a friend's new
// post is added at the top; a comment on a post on screen is added to it.

import { h, replace, avatar, displayName, safeURL, timeAgo, placeholders } from '../dom.js';
import { api } from '../api.js';
import { state, on } from '../state.js';
import { toast } from '../toasts.js';

const typeLabels = { thoughts: 'Thought', media: 'Media', milestones: 'Milestone' };

// composer posts to the feed, or onto wall's wall (a user) when given.
export function composer(onPosted, wall = null) {
  const mine = !wall || wall.id === state.me.id;
  const label = mine ? 'What is on your mind?' : `Write on ${displayName(wall)}'s wall`;
  const text = h('textarea', { id: 'post-content', rows: 3, maxlength: 5000, placeholder: label, 'aria-label': label });
  const type = h('select', { id: 'post-type', 'aria-label': 'Kind of post' },
    Object.entries(typeLabels).map(([v, l]) => h('option', { value: v }, l)));
  const media = h('input', { id: 'post-media', type: 'url', inputmode: 'url', placeholder: 'Image URL (optional)', 'aria-label': 'Image URL (optional)' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'button primary', type: 'submit' }, 'Post');
  const form = h('form', { class: 'panel post-composer', 'aria-label': 'New post' },
    text, h('div', { class: 'composer-row' }, type, media, submit), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { content: text.value, type: type.value };
    if (media.value.trim()) body.media_url = media.value.trim();
    if (!mine) body.target_profile_id = wall.id;
    submit.disabled = true;
    error.textContent = '';
    try {
      const post = await api('POST', '/api/posts/', body);
      text.value = '';
      media.value = '';
      onPosted(post);
    } catch (err) {
      error.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// postCard renders one post; remove() is called when its author deletes it.
export function postCard(post, remove) {
  const card = h('article', { class: 'panel post', 'data-post': post.id, 'aria-labelledby': `post-${post.id}-author` });
  const comments = h('section', { class: 'comments', hidden: true, 'aria-label': 'Comments' });
  let commentsOpen = false;

  const render = () => {
    const a = post.author;
    const mine = a.id === state.me.id;
    const media = safeURL(post.media_url);
    const like = h('button', {
      class: 'button small ghost' + (post.is_liked ? ' liked' : ''), type: 'button',
      'aria-pressed': post.is_liked ? 'true' : 'false',
      'aria-label': `${post.is_liked ? 'Unlike' : 'Like'}, ${post.likes_count} likes`,
    }, post.is_liked ? '♥' : '♡', ' ', String(post.likes_count));
    like.addEventListener('click', async () => {
      like.disabled = true;
      try {
        Object.assign(post, await api('POST', `/api/posts/${post.id}/like/`, { action: post.is_liked ? 'unlike' : 'like' }));
        render();
      } catch (err) {
        toast(err.message, { kind: 'error' });
        like.disabled = false;
      }
    });
    const talk = h('button', { class: 'button small ghost', type: 'button', 'aria-expanded': commentsOpen ? 'true' : 'false',
      'aria-label': `Comments, ${post.comment_count}` }, 'Comments ', String(post.comment_count));
    talk.addEventListener('click', () => {
      commentsOpen = !commentsOpen;
      comments.hidden = !commentsOpen;
      talk.setAttribute('aria-expanded', String(commentsOpen));
      if (commentsOpen) loadComments();
    });
    const share = h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Share, ${post.shares_count} shares` }, '↗ ', String(post.shares_count));
    share.addEventListener('click', async () => {
      try {
        Object.assign(post, await api('POST', `/api/posts/${post.id}/share/`));
        render();
        toast('Shared.');
      } catch (err) {
        toast(err.message, { kind: 'error' });
      }
    });
    const del = mine ? h('button', { class: 'button small ghost', type: 'button', 'aria-label': 'Delete this post' }, 'Delete') : null;
    if (del) {
      del.addEventListener('click', async () => {
        if (!confirm('Delete this post?')) return;
        try {
          await api('DELETE', `/api/posts/${post.id}/`);
          remove();
        } catch (err) {
          toast(err.message, { kind: 'error' });
        }
      });
    }
    const wall = post.target_profile && post.target_profile.id !== a.id ? post.target_profile : null;
    replace(card,
      h('header', { class: 'post-head' },
        h('a', { href: `#/u/${encodeURIComponent(a.username)}`, 'aria-label': `Profile of ${a.username}` }, avatar(a, 40)),
        h('div', { class: 'post-who' },
          h('span', { id: `post-${post.id}-author`, class: 'person-name' }, displayName(a),
            wall ? h('span', { class: 'muted' }, ' → ', displayName(wall)) : null),
          h('span', { class: 'muted small' }, typeLabels[post.type] || post.type, ' · ',
            h('time', { datetime: post.created_at }, timeAgo(post.created_at))))),
      post.content ? h('p', { class: 'post-text' }, post.content) : null,
      media ? h('img', { class: 'post-media', src: media, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' }) : null,
      h('div', { class: 'actions post-actions' }, like, talk, share, del),
      comments);
  };

  const loadComments = async () => {
    replace(comments, h('ul', { class: 'list' }, placeholders(1)));
    try {
      const list = (await api('GET', `/api/posts/${post.id}/replies/`)).sort((x, y) => x.id - y.id);
      renderComments(list);
    } catch (err) {
      replace(comments, h('p', { class: 'form-error', role: 'alert' }, 'Could not load the comments: ' + err.message));
    }
  };
  let shown = [];
  const renderComments = (list) => {
    shown = list;
    const input = h('input', { class: 'comment-input', placeholder: 'Write a comment…', 'aria-label': 'Write a comment', maxlength: 5000 });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'comment-form' }, input, h('button', { class: 'button small', type: 'submit' }, 'Comment'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!input.value.trim()) return;
      try {
        const c = await api('POST', '/api/posts/', { content: input.value, type: 'thoughts', parent_id: post.id });
        post.comment_count++;
        renderComments([...shown, c]);
        render();
        comments.hidden = false;
      } catch (err) {
        error.textContent = err.message;
      }
    });
    replace(comments,
      h('ul', { class: 'comment-list' }, shown.map((c) => h('li', { class: 'comment', 'data-post': c.id },
        avatar(c.author, 28),
        h('div', null, h('span', { class: 'person-name small' }, displayName(c.author)), ' ',
          h('span', { class: 'comment-text' }, c.content))))),
      form, error);
  };

  // addComment shows a comment that arrived live (with its post's new
  // counts), if the comments are open.
  card.addComment = (c, parent) => {
    if (shown.some((x) => x.id === c.id)) return;
    if (parent) Object.assign(post, { comment_count: parent.comment_count, reply_count: parent.reply_count, likes_count: parent.likes_count });
    if (commentsOpen) renderComments([...shown, c]);
    render();
    comments.hidden = !commentsOpen;
  };
  render();
  return card;
}

// mountPostList fills list with the posts of path (the feed, or a wall),
// newest first, and keeps it live. It returns the unsubscribe function and
// a function that adds a post the page itself made.
export function mountPostList(list, path, accepts) {
  const cards = new Map();
  const add = (post, atTop) => {
    if (cards.has(post.id)) return;
    const card = postCard(post, () => {
      card.remove();
      cards.delete(post.id);
      if (cards.size === 0) list.append(emptyNote());
    });
    cards.set(post.id, card);
    list.querySelector('.empty')?.remove();
    if (atTop) list.prepend(card);
    else list.append(card);
  };
  const emptyNote = () => h('p', { class: 'empty' }, 'No posts yet.');
  // Twenty posts at a time; older ones on demand.
  const pageSize = 20;
  const sep = path.includes('?') ? '&' : '?';
  const more = h('button', { class: 'button wide more-posts', type: 'button' }, 'Show older posts');
  let oldest = 0;
  const showPage = (posts) => {
    more.remove();
    posts.forEach((p) => {
      add(p, false);
      oldest = oldest ? Math.min(oldest, p.id) : p.id;
    });
    if (posts.length >= pageSize) list.append(more);
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      showPage(await api('GET', `${path}${sep}limit=${pageSize}&before=${oldest}`));
    } catch (err) {
      toast('Could not load older posts: ' + err.message, { kind: 'error' });
    } finally {
      more.disabled = false;
    }
  });
  replace(list, h('div', { class: 'panel post placeholder', 'aria-hidden': 'true' }));
  api('GET', `${path}${sep}limit=${pageSize}`).then((posts) => {
    replace(list);
    showPage(posts);
    if (posts.length === 0) list.append(emptyNote());
  }, (err) => {
    replace(list, h('p', { class: 'form-error', role: 'alert' }, 'Could not load posts: ' + err.message));
  });
  const off = [
    on('post', () => {
      const p = state.lastPost;
      if (p && accepts(p)) add(p, true);
    }),
    on('comment', () => {
      const c = state.lastComment;
      if (c && cards.has(c.parent)) cards.get(c.parent).addComment(c, state.lastCommentParent);
    }),
  ];
  return [() => off.forEach((f) => f()), (p) => add(p, true)];
}
