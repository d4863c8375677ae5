// Intrusive doubly linked lists: joining, leaving and moving between lists is O(1) and allocates nothing. A
// connection is itself the link of its state list (it extends Link); the deadlines it may have besides are
// Links it makes on first use.
//
// A DeadlineList holds links whose deadlines all come from one fixed timeout. Appending `now + timeout` at
// the tail therefore keeps the list in deadline order by construction, and a sweep only looks at the head.

export class Link<T> {
  prev: Link<T> | null = null;
  next: Link<T> | null = null;
  list: LinkedList<T> | null = null;
  /** For deadline lists: when this link expires, on the server's monotonic clock (milliseconds). A plain
   * double: no integer packing, so no wrap-around however long the process runs or the timeout is. */
  deadline = 0;
  readonly owner: T;

  /** Without an owner the link is its own (intrusive: an object that extends Link is its list node). */
  constructor(owner?: T) {
    this.owner = owner ?? (this as unknown as T);
  }

  get linked(): boolean {
    return this.list !== null;
  }

  unlink(): void {
    this.list?.remove(this);
  }
}

export class LinkedList<T> {
  readonly name: string;
  head: Link<T> | null = null;
  tail: Link<T> | null = null;
  size = 0;

  constructor(name: string) {
    this.name = name;
  }

  append(link: Link<T>): void {
    if (link.list !== null) link.list.remove(link);
    link.list = this;
    link.prev = this.tail;
    link.next = null;
    if (this.tail === null) this.head = link;
    else this.tail.next = link;
    this.tail = link;
    this.size++;
  }

  remove(link: Link<T>): void {
    if (link.list !== this) return;
    if (link.prev === null) this.head = link.next;
    else link.prev.next = link.next;
    if (link.next === null) this.tail = link.prev;
    else link.next.prev = link.prev;
    link.prev = null;
    link.next = null;
    link.list = null;
    this.size--;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    let link = this.head;
    while (link !== null) {
      const next = link.next;
      yield link.owner;
      link = next;
    }
  }
}

export class DeadlineList<T> extends LinkedList<T> {
  timeout: number;

  constructor(name: string, timeout: number) {
    super(name);
    this.timeout = timeout;
  }

  /** (Re)starts the link's deadline at now + timeout; a timeout of 0 or less means never. */
  arm(link: Link<T>, now: number): void {
    if (this.timeout <= 0) return;
    link.deadline = now + this.timeout;
    this.append(link);
  }

  /** Appends the link whatever the timeout, for a list that is also a state list (every member counts); with
   * a timeout of 0 or less it never expires. */
  enter(link: Link<T>, now: number): void {
    link.deadline = this.timeout > 0 ? now + this.timeout : Number.POSITIVE_INFINITY;
    this.append(link);
  }

  /** Removes the link that expires first and returns its owner, or null if the list is empty. */
  shift(): T | null {
    const link = this.head;
    if (link === null) return null;
    this.remove(link);
    return link.owner;
  }

  /** Removes and returns the owners whose deadline has passed, oldest first. */
  expire(now: number, each: (owner: T) => void): void {
    let link = this.head;
    while (link !== null && link.deadline <= now) {
      this.remove(link);
      each(link.owner);
      link = this.head;
    }
  }
}
