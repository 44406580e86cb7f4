// Log in and sign up.

import { h } from '../dom.js';
import { login, signup } from '../api.js';

export function mount(main, { mode }) {
  const isSignup = mode === 'signup';
  const error = h('p', { class: 'form-error', role: 'alert', id: 'auth-error' });
  const submit = h('button', { class: 'button primary wide', type: 'submit' }, isSignup ? 'Create account' : 'Log in');
  const field = (label, props) => {
    const id = 'auth-' + props.name;
    return h('div', { class: 'field' },
      h('label', { for: id }, label),
      h('input', { id, 'aria-describedby': 'auth-error', ...props }));
  };
  const form = h('form', { class: 'panel auth-form', novalidate: true },
    h('h1', null, isSignup ? 'Create your account' : 'Welcome back'),
    h('p', { class: 'muted' }, isSignup
      ? 'Friends, messages and stories, live.'
      : 'Log in to see your friends and messages, live.'),
    isSignup ? field('Username', { name: 'username', autocomplete: 'username', required: true, maxlength: 150, autocapitalize: 'none', spellcheck: 'false' }) : null,
    isSignup ? field('Display name (optional)', { name: 'display_name', autocomplete: 'name', maxlength: 301 }) : null,
    field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true, autocapitalize: 'none', spellcheck: 'false' }),
    field('Password', { name: 'password', type: 'password', autocomplete: isSignup ? 'new-password' : 'current-password', required: true, minlength: isSignup ? 8 : null }),
    error,
    submit,
    h('p', { class: 'muted center' }, isSignup
      ? ['Already have an account? ', h('a', { href: '#/login' }, 'Log in')]
      : ['New here? ', h('a', { href: '#/signup' }, 'Create an account')]));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    error.textContent = '';
    if (!data.email || !data.password || (isSignup && !data.username)) {
      error.textContent = 'Please fill in every required field.';
      return;
    }
    submit.disabled = true;
    submit.textContent = isSignup ? 'Creating…' : 'Logging in…';
    try {
      if (isSignup) await signup(data);
      else await login(data.email, data.password);
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
      submit.textContent = isSignup ? 'Create account' : 'Log in';
    }
  });
  main.append(h('div', { class: 'auth-page' }, form));
  form.querySelector('input').focus();
}
