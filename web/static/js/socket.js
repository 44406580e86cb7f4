// The live connection to /ws/notifications/.
//
// It authenticates with the access_token subprotocol (the token never
// appears in a URL or an access log), resumes with ?since=<last event id> so
// nothing is missed after a drop or a laptop's sleep, and reconnects with
// backoff forever. Its state is one of "connecting", "connected",
// "reconnecting" and "offline" (the browser says there is no network).

import { accessToken, refresh } from './api.js';

const maxBackoff = 30_000;
const pingEvery = 25_000;
const pongWithin = 10_000;

export class Connection {
  // onEvent(event) gets every event ({type, data, id}) once, in id order;
  // onState(state) every change of state; onFatal(message) a close that
  // reconnecting cannot fix (an inactive account).
  // onResync() is told that stored events it missed are gone (pruned by
  // the server's retention): the lists must be read again.
  constructor({ since = 0, onEvent, onState, onFatal, onResync }) {
    this.lastId = since;
    this.onResync = onResync;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onFatal = onFatal;
    this.state = '';
    this.ws = null;
    this.attempt = 0;
    this.timer = 0;
    this.pingTimer = 0;
    this.pongTimer = 0;
    this.stopped = false;
    this.online = () => this.backOnline();
    this.offline = () => this.setState('offline');
    this.wake = () => {
      if (document.visibilityState === 'visible') this.checkAlive();
    };
    window.addEventListener('online', this.online);
    window.addEventListener('offline', this.offline);
    document.addEventListener('visibilitychange', this.wake);
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.clearPing();
    window.removeEventListener('online', this.online);
    window.removeEventListener('offline', this.offline);
    document.removeEventListener('visibilitychange', this.wake);
    if (this.ws) this.ws.close(1000, 'bye');
    this.ws = null;
  }

  // send writes a message if the socket is open; typing indicators are
  // worth nothing later, so nothing is queued.
  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  // authenticate hands a refreshed token to the open socket, so a server
  // that enforces token expiry keeps it open.
  authenticate(token) {
    this.send({ type: 'auth', token });
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  async connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.setState(this.attempt === 0 && !this.everConnected ? 'connecting' : 'reconnecting');
    let token;
    try {
      token = await accessToken();
    } catch (err) {
      if (err.status === 401 || err.status === 403) return; // the session ended
      this.retry();
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}/ws/notifications/` + (this.lastId > 0 ? `?since=${this.lastId}` : '');
    const ws = new WebSocket(url, ['access_token', token]);
    this.ws = ws;
    this.established = false;
    ws.onmessage = (e) => this.receive(ws, e.data);
    ws.onclose = (e) => this.closed(ws, e);
  }

  receive(ws, raw) {
    if (ws !== this.ws) return;
    this.alive();
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'connection_established':
        this.attempt = 0;
        this.everConnected = true;
        this.established = true;
        this.setState('connected');
        this.schedulePing();
        return;
      case 'pong':
      case 'error':
        return;
      case 'resync':
        if (this.onResync) this.onResync();
        return;
      case 'token_expired':
        refresh().catch(() => {}); // onRefresh hands the new token to this socket
        return;
    }
    if (typeof msg.id === 'number' && msg.id > 0) {
      // Ids only grow on a socket and a resume starts after lastId, so
      // this never drops a new event; it guards against showing one twice.
      if (msg.id <= this.lastId) return;
      this.lastId = msg.id;
    }
    this.onEvent(msg);
  }

  closed(ws, e) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearPing();
    if (this.stopped) return;
    if (e.code === 4003) {
      this.stopped = true;
      this.setState('offline');
      this.onFatal('This account is inactive.');
      return;
    }
    if (e.code === 4001) {
      // The token or the sign-in ended: a refresh tells which. A refused
      // refresh ends the session, and the app stops this connection.
      refresh().then(() => this.retry(), (err) => {
        if (err.status !== 401 && err.status !== 403) this.retry();
      });
      return;
    }
    this.retry();
  }

  // retry waits 0.5 s, 1 s, 2 s … up to 30 s (with jitter, so a restarted
  // server is not hit by every client at once), forever; at once when the
  // browser comes back online.
  retry() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (!navigator.onLine) {
      this.setState('offline');
      return; // the online event reconnects
    }
    this.setState('reconnecting');
    const base = Math.min(maxBackoff, 500 * 2 ** this.attempt);
    this.attempt++;
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * base / 2);
  }

  // backOnline: the browser has a network again. A socket that stayed open
  // (browsers do not close one when the network goes) is checked with a
  // ping; a closed one reconnects at once.
  backOnline() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.established) {
      this.setState('connected');
      this.checkAlive();
      return;
    }
    this.reconnectNow();
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    this.attempt = 0;
    this.connect();
  }

  // A socket can be dead without a close (a cut network, a sleep): ping it,
  // and give up on it when nothing comes back.
  schedulePing() {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.checkAlive(), pingEvery);
  }

  checkAlive() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.send({ type: 'ping' });
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      const ws = this.ws;
      if (!ws) return;
      this.closed(ws, { code: 1006 });
      ws.close();
    }, pongWithin);
  }

  alive() {
    clearTimeout(this.pongTimer);
    this.schedulePing();
  }

  clearPing() {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
