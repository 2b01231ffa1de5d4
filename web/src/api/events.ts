import { api } from './client';
import type { NodeEvent } from './types';

/**
 * The node's live event feed (WebSocket at /api/v1/events). Browsers cannot put a header on a WebSocket,
 * so the access token goes in the query, as the node allows on this endpoint alone. Reconnects with
 * backoff and keeps the last events so a page opened later still shows recent activity.
 */
class EventFeed {
  readonly recent: NodeEvent[] = [];
  private socket: WebSocket | null = null;
  private listeners = new Set<(event: NodeEvent | null) => void>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  connected = false;

  subscribe(listener: (event: NodeEvent | null) => void): () => void {
    this.listeners.add(listener);
    if (!this.socket) void this.connect();
    return () => {
      this.listeners.delete(listener);
    };
  }

  stop() {
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
    this.connected = false;
  }

  private async connect() {
    let token: string;
    try {
      token = await api.accessToken();
    } catch {
      return;
    }
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${window.location.host}/api/v1/events?access_token=${encodeURIComponent(token)}`);
    this.socket = socket;
    socket.onopen = () => {
      this.retry = 0;
      this.connected = true;
      this.emit(null);
    };
    socket.onmessage = (message) => {
      try {
        const event = JSON.parse(String(message.data)) as NodeEvent;
        this.recent.unshift(event);
        this.recent.splice(50);
        this.emit(event);
      } catch {
        // Not an event: ignore.
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.connected = false;
      this.emit(null);
      if (this.listeners.size > 0 && api.user) {
        this.timer = setTimeout(() => void this.connect(), Math.min(30_000, 1000 * 2 ** this.retry++));
      }
    };
  }

  private emit(event: NodeEvent | null) {
    for (const listener of this.listeners) listener(event);
  }
}

export const events = new EventFeed();
api.onChange((user) => {
  if (!user) events.stop();
});
