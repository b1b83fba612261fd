// WHEP player: one recvonly video transceiver and the `input` data channel.
import { getToken } from './api.js';

// The ICE servers of a WHEP answer's Link headers (`<turn:...>; rel="ice-server";
// username="..."; credential="..."`), as RTCIceServer objects. fetch() joins repeated headers
// with ", ".
export function parseIceLinks(header) {
  const servers = [];
  const re = /<([^>]*)>((?:\s*;\s*[A-Za-z-]+\s*=\s*(?:"[^"]*"|[^;,]*))*)/g;
  for (const m of (header || '').matchAll(re)) {
    const params = {};
    for (const p of m[2].matchAll(/;\s*([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^;,]*))/g)) {
      params[p[1].toLowerCase()] = p[2] ?? p[3].trim();
    }
    if (params.rel !== 'ice-server') continue;
    const s = { urls: m[1] };
    if (params.username !== undefined) s.username = params.username;
    if (params.credential !== undefined) s.credential = params.credential;
    servers.push(s);
  }
  return servers;
}

// A refused WHEP POST: .status is the HTTP status (docs/api.md lists what each means here).
export class WhepError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Player {
  // onMessage(ArrayBuffer): what the daemon sends on the `input` channel (input.js parses it).
  // options.relay: only relayed (TURN) candidates, for checking a TURN setup (app.js: ?ice=relay).
  // options.onLost(): the session ended without close() (the daemon closed it, or went away).
  constructor(video, onState, onMessage, options = {}) {
    this.onLost = options.onLost || (() => {});
    this.video = video;
    this.policy = options.relay ? 'relay' : 'all';
    this.onState = onState || (() => {});
    this.onMessage = onMessage || (() => {});
    this.pc = null;
    this.channel = null;
    this.location = null; // the session resource, absolute: on the node that runs the instance
    this.token = '';
    this.sessionToken = ''; // what opens this.location (see connect)
    // Observers of the input channel (stats.js): sent(seq, bytes) for each message sent (seq
    // counts from 1 per connection, as the daemon does) and message(ArrayBuffer).
    this.taps = new Set();
    this.sent = 0;
  }

  // The session id (from the WHEP Location), once connected.
  get sid() {
    return this.location ? this.location.split('/').pop() : '';
  }

  // token: a viewer token (share link); default the admin token of localStorage.
  async connect(instanceId, token) {
    await this.close();
    this.token = token || getToken();
    const pc = new RTCPeerConnection({ iceTransportPolicy: this.policy });
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    const channel = pc.createDataChannel('input', { ordered: true });
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    this.sent = 0;
    channel.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      for (const t of this.taps) t.message(ev.data);
      this.onMessage(ev.data);
    };
    // The daemon ending the session (DELETE, instance stopped, shutdown) sends a DTLS
    // close_notify, which closes the channel while ICE may still look connected.
    channel.onclose = () => { if (pc === this.pc) this.onLost(); };
    pc.ontrack = (ev) => { if (pc === this.pc) this.video.srcObject = new MediaStream([ev.track]); };
    pc.onconnectionstatechange = () => { if (pc === this.pc) this.onState(pc.connectionState); };
    // The ICE servers (and TURN credentials) come with the answer's Link headers, so the offer is
    // posted before setLocalDescription: gathering starts only there, after setConfiguration has
    // handed Chromium the servers. The daemon is ICE-lite and needs none of our candidates.
    const offer = await pc.createOffer();
    // A network error (daemon down) throws a TypeError, without .status.
    const res = await fetch(`/api/v1/instances/${encodeURIComponent(instanceId)}/whep`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${this.token}` },
      body: offer.sdp,
    });
    if (res.status !== 201) {
      let msg = `HTTP ${res.status}`;
      try { msg = (await res.json()).error.message; } catch { /* not JSON */ }
      await this.close();
      throw new WhepError(res.status, msg);
    }
    // In a cluster the POST may have been redirected (307) to the node that runs the instance:
    // the session lives there (res.url is that node's URL), and the redirect's ?token= opens it
    // (our own token may mean nothing to that node). docs/api.md, "Clusters".
    const url = new URL(res.url);
    this.location = new URL(res.headers.get('Location'), url).href;
    this.sessionToken = url.searchParams.get('token') || this.token;
    const iceServers = parseIceLinks(res.headers.get('Link'));
    if (iceServers.length) pc.setConfiguration({ iceServers, iceTransportPolicy: this.policy });
    await pc.setLocalDescription(offer);
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  }

  // Hands control to session sid (we must hold it, or be the admin). Throws with the reason.
  async giveControl(sid) {
    const path = `/api/v1/sessions/${encodeURIComponent(sid)}/control`;
    const url = new URL(path, this.location || location.href);
    const res = await fetch(url, {
      method: 'POST', headers: { Authorization: `Bearer ${this.sessionToken || this.token}` },
    });
    if (!res.ok) {
      let msg = `HTTP ${res.status}`;
      try { msg = (await res.json()).error.message; } catch { /* not JSON */ }
      throw new Error(msg);
    }
  }

  send(bytes) {
    if (!this.channel || this.channel.readyState !== 'open') return;
    this.channel.send(bytes);
    this.sent++;
    for (const t of this.taps) t.sent(this.sent, bytes);
  }

  async close() {
    if (this.location) {
      const loc = this.location;
      this.location = null;
      fetch(loc, { method: 'DELETE', headers: { Authorization: `Bearer ${this.sessionToken}` } })
        .catch(() => {});
    }
    if (this.pc) this.pc.close();
    this.pc = null;
    this.channel = null;
    this.video.srcObject = null;
  }
}
