// The errors shown in the dismissible banner at the top of the main area.

import type { Code } from '../backend/backend';
import { toUserError } from '../error/userError';

export interface Notice {
  id: number;
  code: Code;
  message: string;
}

export class Notices {
  items = $state<Notice[]>([]);
  private nextId = 1;

  /** Shows the message of any rejected command or thrown error. Identical messages are not repeated. */
  error(err: unknown): void {
    const { code, message } = toUserError(err);
    if (this.items.some((n) => n.message === message)) return;
    this.items = [...this.items.slice(-3), { id: this.nextId++, code, message }];
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}
