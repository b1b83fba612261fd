// WHEP player: one recvonly video transceiver and the `input` data channel.
import { getToken } from './api.js';

export class Player {
  // onMessage(ArrayBuffer): what the daemon sends on the `input` channel (input.js parses it).
  constructor(video, onState, onMessage) {
    this.video = video;
    this.onState = onState || (() => {});
    this.onMessage = onMessage || (() => {});
    this.pc = null;
    this.channel = null;
    this.location = null;
  }

  async connect(instanceId) {
    await this.close();
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    this.channel = pc.createDataChannel('input', { ordered: true });
    this.channel.binaryType = 'arraybuffer';
    this.channel.onmessage = (ev) => { if (ev.data instanceof ArrayBuffer) this.onMessage(ev.data); };
    pc.ontrack = (ev) => { this.video.srcObject = new MediaStream([ev.track]); };
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(`/api/v1/instances/${encodeURIComponent(instanceId)}/whep`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${getToken()}` },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201) {
      let msg = `HTTP ${res.status}`;
      try { msg = (await res.json()).error.message; } catch { /* not JSON */ }
      await this.close();
      throw new Error(msg);
    }
    this.location = res.headers.get('Location');
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  }

  send(bytes) {
    if (this.channel && this.channel.readyState === 'open') this.channel.send(bytes);
  }

  async close() {
    if (this.location) {
      const loc = this.location;
      this.location = null;
      fetch(loc, { method: 'DELETE', headers: { Authorization: `Bearer ${getToken()}` } })
        .catch(() => {});
    }
    if (this.pc) this.pc.close();
    this.pc = null;
    this.channel = null;
    this.video.srcObject = null;
  }
}
