// The studio: a page of one's own with a mood, a bio, a theme, a wallpaper,
// the song playing and a playlist of up to five songs. #/studio is yours to
// edit; #/studio/<username> is someone else's, to look at.
//
// Songs come from the music catalogue's search; when it is off or down,
// the server says so and a song can still be added by title and artist.

import { h, replace, avatar, displayName, safeURL, placeholders } from '../dom.js';
import { api } from '../api.js';
import { state } from '../state.js';
import { toast } from '../toasts.js';

const themes = { neon: 'Neon', sunset: 'Sunset', ocean: 'Ocean', forest: 'Forest', mono: 'Mono' };
const wallpapers = { stars: 'Stars', grid: 'Grid', waves: 'Waves', none: 'None' };
const sliders = { list: 'List', cards: 'Cards' };

function minutes(ms) {
  if (!ms) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// stage is the studio as its visitors see it.
function stage(st, owner) {
  const theme = themes[st.theme] ? st.theme : 'neon';
  const el = h('section', { class: `panel studio-stage theme-${theme}`, 'aria-labelledby': 'studio-name' });
  const url = safeURL(st.wallpaper);
  if (url) {
    // Set through the CSSOM: the URL was parsed, so it cannot close the
    // url() and add rules.
    el.style.backgroundImage = `url("${url}")`;
    el.classList.add('wallpaper-image');
  } else if (wallpapers[st.wallpaper]) {
    el.classList.add(`wallpaper-${st.wallpaper}`);
  }
  const art = safeURL(st.album_art);
  const preview = safeURL(st.preview_url);
  const songs = [...(st.playlist || [])].sort((a, b) => a.order - b.order);
  replace(el,
    h('header', { class: 'studio-head' }, avatar(owner, 64),
      h('div', null,
        h('h1', { id: 'studio-name' }, displayName(owner), h('span', { class: 'muted' }, "'s studio")),
        st.mood ? h('p', { class: 'studio-mood' }, 'Mood: ', h('strong', null, st.mood)) : null)),
    st.customBio ? h('p', { class: 'studio-bio' }, st.customBio) : null,
    st.songTitle ? h('div', { class: 'now-playing' },
      art ? h('img', { src: art, alt: '', width: 56, height: 56, referrerpolicy: 'no-referrer' }) : h('span', { class: 'note', 'aria-hidden': 'true' }, '♫'),
      h('div', null, h('span', { class: 'muted small' }, 'Now playing'),
        h('p', { class: 'song-title' }, st.songTitle, st.songArtist ? h('span', { class: 'muted' }, ' — ', st.songArtist) : null)),
      preview ? h('audio', { src: preview, controls: true, preload: 'none', 'aria-label': `Preview of ${st.songTitle}` }) : null) : null,
    h('h2', null, 'Playlist'),
    songs.length === 0
      ? h('p', { class: 'empty' }, 'No songs yet.')
      : h('ol', { class: `playlist slider-${sliders[st.sliderStyle] ? st.sliderStyle : 'list'}`, id: 'playlist' },
        songs.map((s) => h('li', { class: 'song', 'data-song': s.id },
          h('span', { class: 'song-title' }, s.title), h('span', { class: 'muted' }, s.artist),
          s.duration_ms ? h('span', { class: 'muted small' }, minutes(s.duration_ms)) : null))));
  return el;
}

export function mount(main, { username }) {
  const page = h('div', { class: 'page studio-page' }, h('section', { class: 'panel studio-stage placeholder', 'aria-busy': 'true' }));
  main.append(page);
  if (username && username !== state.me.username) {
    api('GET', `/api/mystudio/${encodeURIComponent(username)}/`).then(
      (st) => api('GET', `/api/auth/users/${encodeURIComponent(username)}/`).then((owner) => replace(page, stage(st, owner))),
      (err) => replace(page, h('section', { class: 'panel' }, h('p', { class: 'form-error', role: 'alert' },
        err.status === 404 ? `There is no studio of @${username}.` : 'Could not load this studio: ' + err.message))));
    return;
  }
  let st = null;
  const render = () => replace(page, stage(st, state.me), editor());
  const save = async (body, done) => {
    st = await api('PATCH', '/api/mystudio/', body);
    render();
    if (done) toast(done);
  };

  const editor = () => {
    const field = (label, name, control) => h('div', { class: 'field' }, h('label', { for: 'studio-' + name }, label), control);
    const select = (name, options, value) => h('select', { id: 'studio-' + name, name },
      Object.entries(options).map(([v, l]) => h('option', { value: v, selected: v === value ? 'selected' : null }, l)));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'panel studio-form', 'aria-label': 'Edit your studio' },
      h('h2', null, 'Your studio'),
      h('div', { class: 'two' },
        field('Mood', 'mood', h('input', { id: 'studio-mood', name: 'mood', value: st.mood, maxlength: 100 })),
        field('Theme', 'theme', select('theme', themes, st.theme))),
      field('Studio bio', 'customBio', h('textarea', { id: 'studio-customBio', name: 'customBio', rows: 3, maxlength: 500, value: st.customBio })),
      h('div', { class: 'two' },
        field('Wallpaper (a preset, or an image URL below)', 'wallpaper', select('wallpaper', wallpapers, wallpapers[st.wallpaper] ? st.wallpaper : 'none')),
        field('Playlist style', 'sliderStyle', select('sliderStyle', sliders, st.sliderStyle))),
      field('Wallpaper image URL (optional)', 'wallpaper_url', h('input', { id: 'studio-wallpaper_url', name: 'wallpaper_url', type: 'url', inputmode: 'url', value: safeURL(st.wallpaper) || '' })),
      h('div', { class: 'two' },
        field('Now playing: title', 'title', h('input', { id: 'studio-title', name: 'title', value: st.songTitle, maxlength: 200 })),
        field('Now playing: artist', 'artist', h('input', { id: 'studio-artist', name: 'artist', value: st.songArtist, maxlength: 200 }))),
      error,
      h('button', { class: 'button primary', type: 'submit' }, 'Save studio'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      const body = { mood: d.mood, customBio: d.customBio, theme: d.theme, sliderStyle: d.sliderStyle, title: d.title, artist: d.artist,
        wallpaper: d.wallpaper_url.trim() || d.wallpaper };
      try {
        await save(body, 'Studio saved.');
      } catch (err) {
        error.textContent = err.message;
      }
    });

    const songError = h('p', { class: 'form-error', role: 'alert' });
    const songForm = h('form', { class: 'song-form', 'aria-label': 'Add a song' },
      h('input', { id: 'song-title', name: 'title', required: true, maxlength: 200, placeholder: 'Title', 'aria-label': 'Song title' }),
      h('input', { id: 'song-artist', name: 'artist', required: true, maxlength: 200, placeholder: 'Artist', 'aria-label': 'Artist' }),
      h('button', { class: 'button', type: 'submit' }, 'Add song'));
    songForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(songForm));
      try {
        // Without the catalogue, a song's identity is its title and
        // artist, so adding the same one twice is refused as a duplicate.
        const id = ('manual:' + d.artist + ':' + d.title).toLowerCase().slice(0, 100);
        await api('POST', '/api/mystudio/playlist/', { title: d.title, artist: d.artist, external_id: id, duration_ms: 0 });
        st = await api('GET', '/api/mystudio/profile/');
        render();
        document.getElementById('song-title').focus();
      } catch (err) {
        songError.textContent = err.message;
      }
    });
    const songs = [...st.playlist].sort((a, b) => a.order - b.order);

    // Search the catalogue: add a result to the playlist, or play it now.
    const results = h('ul', { class: 'list', id: 'music-results', 'aria-live': 'polite' });
    const query = h('input', { id: 'music-q', type: 'search', placeholder: 'Search songs or artists', 'aria-label': 'Search songs or artists', maxlength: 100 });
    const searchForm = h('form', { class: 'search', role: 'search' }, query, h('button', { class: 'button', type: 'submit' }, 'Search'));
    searchForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const q = query.value.trim();
      if (q.length < 2) {
        replace(results, h('li', { class: 'form-error', role: 'alert' }, 'Type at least two characters.'));
        return;
      }
      replace(results, placeholders(2));
      try {
        const found = (await api('GET', `/api/mystudio/search/?q=${encodeURIComponent(q)}`)).results || [];
        replace(results, found.length === 0 ? h('li', { class: 'empty' }, 'No songs found.') : found.map((tr) => {
          const art = safeURL(tr.album_art);
          const add = h('button', { class: 'button small', type: 'button', 'aria-label': `Add ${tr.title} to the playlist`, disabled: songs.length >= 5 }, 'Add');
          add.addEventListener('click', async () => {
            add.disabled = true;
            try {
              await api('POST', '/api/mystudio/playlist/', { title: tr.title, artist: tr.artist, external_id: tr.external_id,
                duration_ms: tr.duration_ms || 0, preview_url: tr.preview_url || '', album_art: tr.album_art || '' });
              st = await api('GET', '/api/mystudio/profile/');
              render();
            } catch (err) {
              songError.textContent = err.message;
              add.disabled = false;
            }
          });
          const play = h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Play ${tr.title} now` }, 'Play now');
          play.addEventListener('click', () => save({ title: tr.title, artist: tr.artist, external_id: tr.external_id,
            preview_url: tr.preview_url || '', album_art: tr.album_art || '' }, `Now playing: ${tr.title}.`)
            .catch((err) => toast(err.message, { kind: 'error' })));
          return h('li', { class: 'row song-row' },
            art ? h('img', { src: art, alt: '', width: 40, height: 40, class: 'cover', referrerpolicy: 'no-referrer' }) : h('span', { class: 'cover note', 'aria-hidden': 'true' }, '♫'),
            h('span', { class: 'song-names' }, h('span', { class: 'song-title' }, tr.title), h('span', { class: 'muted small' }, tr.artist, tr.album ? ' · ' + tr.album : '')),
            h('span', { class: 'actions' }, play, add));
        }));
      } catch (err) {
        replace(results, h('li', { class: 'form-error', role: 'alert' }, err.message));
      }
    });

    const move = async (i, d) => {
      const ids = songs.map((s) => s.id);
      [ids[i], ids[i + d]] = [ids[i + d], ids[i]];
      try {
        st = await api('PATCH', '/api/mystudio/playlist/reorder/', { song_ids: ids });
        render();
      } catch (err) {
        toast(err.message, { kind: 'error' });
      }
    };
    const removeSong = async (s) => {
      try {
        await api('DELETE', `/api/mystudio/playlist/${s.id}/`);
        st = await api('GET', '/api/mystudio/profile/');
        render();
      } catch (err) {
        toast(err.message, { kind: 'error' });
      }
    };
    const manage = h('section', { class: 'panel', 'aria-labelledby': 'h-playlist' },
      h('h2', { id: 'h-playlist' }, `Playlist (${songs.length} of 5)`),
      h('ol', { class: 'list', id: 'playlist-edit' }, songs.map((s, i) => h('li', { class: 'row song-row' },
        h('span', { class: 'song-names' }, h('span', { class: 'song-title' }, s.title), h('span', { class: 'muted small' }, s.artist)),
        h('span', { class: 'actions' },
          h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Move ${s.title} up`, disabled: i === 0, onclick: () => move(i, -1) }, '↑'),
          h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Move ${s.title} down`, disabled: i === songs.length - 1, onclick: () => move(i, 1) }, '↓'),
          h('button', { class: 'button small ghost', type: 'button', 'aria-label': `Remove ${s.title}`, onclick: () => removeSong(s) }, 'Remove'))))),
      songs.length < 5 ? [h('h3', { class: 'small muted' }, 'Find a song'), searchForm, results,
        h('h3', { class: 'small muted' }, 'Or add one by hand'), songForm] : h('p', { class: 'muted' }, 'The playlist is full: remove a song to add another.'),
      songError);
    return [form, manage];
  };

  api('GET', '/api/mystudio/profile/').then((got) => {
    st = got;
    render();
  }, (err) => replace(page, h('section', { class: 'panel' }, h('p', { class: 'form-error', role: 'alert' }, 'Could not load your studio: ' + err.message))));
}
