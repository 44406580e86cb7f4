// Home: the stories strip (friends' and your own 24-hour stories) and the
// feed: a composer and the posts of you and your friends, newest first.

import { h } from '../dom.js';
import { state } from '../state.js';
import { mountStories } from './stories.js';
import { composer, mountPostList } from './posts.js';

export function mount(main) {
  const strip = h('section', { class: 'panel stories-panel', 'aria-labelledby': 'h-stories' });
  const feed = h('div', { class: 'post-list', id: 'feed', 'aria-label': 'Feed' });
  const [offPosts, added] = mountPostList(feed, '/api/posts/', (p) => !p.parent);
  main.append(h('div', { class: 'page home-page' },
    h('h1', { class: 'page-title' }, 'Hello, ', state.me.first_name || state.me.username),
    strip,
    h('section', { class: 'feed-section', 'aria-labelledby': 'h-feed' },
      h('h2', { id: 'h-feed', class: 'section-title' }, 'Feed'),
      composer(added),
      feed)));
  const offs = [offPosts, ...mountStories(strip)];
  return () => offs.forEach((off) => off());
}
