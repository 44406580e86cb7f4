// Home: the stories strip (friends' and your own 24-hour stories) and the
// latest activity.

import { h, replace } from '../dom.js';
import { state, on } from '../state.js';
import { activityList } from './bell.js';
import { mountStories } from './stories.js';

export function mount(main) {
  const strip = h('section', { class: 'panel stories-panel', 'aria-labelledby': 'h-stories' });
  const activity = h('div', { class: 'activity-box' });
  main.append(h('div', { class: 'page home-page' },
    h('h1', { class: 'page-title' }, 'Hello, ', state.me.first_name || state.me.username),
    strip,
    h('section', { class: 'panel', 'aria-labelledby': 'h-activity' }, h('h2', { id: 'h-activity' }, 'Activity'), activity)));
  const renderActivity = () => replace(activity, activityList(state.activity, 'Nothing yet. Friend requests, acceptances and story reactions appear here as they happen.'));
  renderActivity();
  const offs = [on('activity', renderActivity), ...mountStories(strip)];
  return () => offs.forEach((off) => off());
}
