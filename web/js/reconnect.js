// Keeps a player connected: when the session is lost (ICE failed, disconnected for long, closed
// by the server, daemon restarted) it connects again with back-off, and says in words what is
// happening and why it stopped trying.

const DELAY_MIN_MS = 500, DELAY_MAX_MS = 10000;
const DISCONNECTED_MS = 3000; // "disconnected" this long: treated as lost (Chromium says "failed" only after ~30 s)
const CONNECT_MS = 15000; // a session that is not connected by then is started again

// The wait before attempt n (0, 1, …): 0.5 s doubling to 10 s, ±20 % so that the viewers of a
// restarted daemon do not all come back in the same instant.
export function backoff(n, rand = Math.random) {
  const base = Math.min(DELAY_MAX_MS, DELAY_MIN_MS * 2 ** Math.min(n, 16));
  return Math.round(Math.min(DELAY_MAX_MS, base * (0.8 + 0.4 * rand())));
}

// What a failed WHEP POST (an Error with .status, or a network error without) means for the
// viewer: { state (short, for the badge), text (a sentence), retry }.
export function describeFailure(err) {
  switch (err.status) {
  case 401:
    return { state: 'not allowed', retry: false,
      text: 'Your token has expired or was revoked. Sign in again, or ask for a new link.' };
  case 404:
    return { state: 'instance gone', retry: false, text: 'This instance no longer exists.' };
  case 409:
    return { state: 'not running', retry: true, text: 'The instance is not running.' };
  case 503:
    return { state: 'server full', retry: true,
      text: 'The server is full (too many viewers) or shutting down.' };
  case undefined:
    return { state: 'unreachable', retry: true, text: 'The server cannot be reached.' };
  default:
    // Other 4xx: this page sent something the daemon refuses; trying again changes nothing.
    return { state: `error ${err.status}`, retry: err.status >= 500, text: err.message };
  }
}

export class Reconnector {
  // show({ state, notice }): state for the badge, notice a sentence ('' when all is well).
  constructor(player, instanceId, token, show) {
    this.player = player;
    this.instanceId = instanceId;
    this.token = token;
    this.show = show;
    this.attempt = 0;
    this.timers = new Set();
    this.stopped = true;
    this.waiting = false; // a retry is scheduled
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.connect('');
  }

  stop() {
    this.stopped = true;
    this.clear();
  }

  clear() {
    for (const t of this.timers) { clearTimeout(t); clearInterval(t); }
    this.timers.clear();
    this.waiting = false;
  }

  after(ms, fn) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  async connect(why) {
    this.clear();
    this.show({ state: why ? 'reconnecting…' : 'connecting…', notice: why ? `${why} Reconnecting…` : '' });
    try {
      await this.player.connect(this.instanceId, this.token);
    } catch (e) {
      if (this.stopped) return;
      const f = describeFailure(e);
      if (!f.retry) {
        this.show({ state: f.state, notice: f.text });
        return;
      }
      this.retry(f.text);
      return;
    }
    if (this.stopped) { this.player.close(); return; }
    this.after(CONNECT_MS, () => this.lost('The connection did not come up.'));
  }

  // The player's connection state.
  onState(state) {
    if (this.stopped || this.waiting) return;
    if (state === 'connected') {
      this.clear();
      this.attempt = 0;
      this.show({ state: 'connected', notice: '' });
    } else if (state === 'failed') {
      this.lost('The connection failed.');
    } else if (state === 'disconnected') {
      this.show({ state: 'disconnected', notice: 'The connection is interrupted…' });
      this.disconnected = this.after(DISCONNECTED_MS, () => this.lost('The connection was lost.'));
    } else {
      this.show({ state, notice: '' });
    }
  }

  // The session ended without us closing it (the server closed it, or the daemon went away).
  lost(why) {
    if (this.stopped || this.waiting) return;
    this.player.close();
    this.retry(why);
  }

  retry(why) {
    this.clear();
    this.waiting = true;
    const delay = backoff(this.attempt++);
    const due = Date.now() + delay;
    const tick = () => {
      const s = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      this.show({ state: `reconnecting in ${s} s…`, notice: `${why} Reconnecting in ${s} s…`});
    };
    tick();
    const iv = setInterval(tick, 1000);
    this.timers.add(iv);
    this.after(delay, () => this.connect(why));
  }
}
