// Share links: viewer tokens of one instance (POST/GET/DELETE /api/v1/instances/{id}/tokens).
// The link is /#/view/{id}?t=<token>; the token text is shown once, when it is made.
import { api } from './api.js';

const $ = (id) => document.getElementById(id);

export function setupShare() {
  let inst = null;

  const showError = (message) => {
    $('share-error').textContent = message;
    $('share-error').hidden = !message;
  };

  const listTokens = async () => {
    const ul = $('share-tokens');
    try {
      const { data } = await api(`instances/${encodeURIComponent(inst.id)}/tokens`);
      ul.replaceChildren(...data.tokens.map((t) => {
        const li = document.createElement('li');
        const until = new Date(t.expires_at * 1000).toLocaleString();
        li.append(`${t.role} · ${t.id} · until ${until} `);
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = 'Revoke';
        b.setAttribute('aria-label', `Revoke token ${t.id}`);
        b.onclick = async () => {
          try {
            await api(`instances/${encodeURIComponent(inst.id)}/tokens/${t.id}`, { method: 'DELETE' });
          } catch (e) {
            showError(e.message);
          }
          listTokens();
        };
        li.append(b);
        return li;
      }));
    } catch (e) {
      showError(e.message);
    }
  };

  $('share-create').onclick = async () => {
    showError('');
    try {
      const { data } = await api(`instances/${encodeURIComponent(inst.id)}/tokens`, {
        method: 'POST', body: { role: $('share-role').value, ttl_s: Number($('share-ttl').value) },
      });
      $('share-link').value = `${location.origin}${location.pathname}${data.share_path.slice(1)}`;
      $('share-status').textContent = `${data.role} link, valid until ${new Date(data.expires_at * 1000).toLocaleString()}`;
      $('share-result').hidden = false;
      listTokens();
    } catch (e) {
      showError(e.message);
    }
  };
  $('share-copy').onclick = () => {
    const t = $('share-link');
    navigator.clipboard?.writeText(t.value).then(() => { $('share-status').textContent = 'Copied.'; })
      .catch(() => { t.select(); document.execCommand('copy'); });
  };
  $('share-close').onclick = () => { $('share-panel').hidden = true; };

  return {
    open(instance) {
      inst = instance;
      $('share-title').textContent = `Share ${instance.name}`;
      $('share-result').hidden = true;
      showError('');
      $('share-panel').hidden = false;
      listTokens();
    },
  };
}
