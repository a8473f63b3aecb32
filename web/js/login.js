// login.js — the login screen: POST /api/v1/session with name and password; the answer's
// CSRF token is kept for the changes that follow (the session cookie is HttpOnly).
import { post, get } from './api.js';
import { h, field, put } from './dom.js';
import { t } from './i18n.js';

export function render(main, app) {
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', id: 'login-error', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'login card', id: 'login-form', on: { submit: submit } },
    h('h1', {}, t('login.title')),
    field(t('login.name'), name),
    field(t('login.password'), password),
    error,
    button);

  async function submit(e) {
    e.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      await post('/session', { name: name.value.trim(), password: password.value });
      app.setSession(await get('/session'));
      app.go('#/inbox');
    } catch (err) {
      error.textContent = err.status === 429 ? t('login.too_many', { s: err.retryAfter || 60 })
        : err.status === 401 ? t('login.invalid') : t('error.generic', { m: err.message });
      error.hidden = false;
      password.select();
    } finally {
      button.disabled = false;
    }
  }

  put(main, form);
  name.focus();
  return {};
}
